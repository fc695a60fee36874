"""Every git command Ryx runs: no hooks, no fsmonitor, and a timeout.

A target repository is not trusted: its `.git/hooks`, a `core.fsmonitor` command or a
`core.hooksPath` set in its config would otherwise run inside Ryx's own git calls, with Ryx's
environment. Every call here overrides them on the command line (which beats any config
file), and a call that runs past its time is killed and raised as `GitTimeout`, a RyxError
that the loop turns into a failed attempt instead of a crash.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from git import Git, GitCommandError, Repo

from ryx.errors import RyxError

GIT_TIMEOUT_S = 120.0
HARDENING = ("core.hooksPath=/dev/null", "core.fsmonitor=false")
GIT_OPTIONS = tuple(arg for setting in HARDENING for arg in ("-c", setting))


class GitTimeout(RyxError):
    """A git command ran past its time and was killed."""


def git_argv(*args: str) -> list[str]:
    """`git -c core.hooksPath=/dev/null -c core.fsmonitor=false ARGS`."""
    return ["git", *GIT_OPTIONS, *args]


def run_git(cwd: Path | str, *args: str, env: Mapping[str, str] | None = None,
            timeout: float = GIT_TIMEOUT_S, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run one hardened git command; GitTimeout when it runs past `timeout`."""
    try:
        proc = subprocess.run(git_argv(*args), cwd=cwd, capture_output=True, text=True,
                              env=dict(env) if env is not None else None, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise GitTimeout(_timeout_message(args, timeout, cwd)) from None
    if check and proc.returncode != 0:
        raise RyxError(f"git {' '.join(args)} failed in {cwd}: {proc.stderr.strip()}. "
                       "Check the repository with `git status` there.")
    return proc


def _timeout_message(args: tuple[str, ...] | list[str], timeout: float, cwd: Path | str) -> str:
    return (f"git {' '.join(str(a) for a in args)} did not finish within {timeout:g} s in {cwd} "
            "and was killed; the repository may hold a huge file or a slow filter.")


class HardenedGit(Git):
    """GitPython's command wrapper with the hardening options and a default timeout."""

    def __init__(self, working_dir: Any = None) -> None:
        super().__init__(working_dir)
        self.set_persistent_git_options(c=list(HARDENING))

    def execute(self, command: Any, *args: Any, **kwargs: Any) -> Any:
        if not kwargs.get("as_process"):
            kwargs.setdefault("kill_after_timeout", GIT_TIMEOUT_S)
        try:
            return super().execute(command, *args, **kwargs)
        except GitCommandError as exc:
            if "did not complete in" in str(exc.stderr) or "timed out" in str(exc.stderr):
                raise GitTimeout(_timeout_message(list(command)[1:], kwargs.get("kill_after_timeout", 0),
                                                  self._working_dir or ".")) from exc
            raise


class SafeRepo(Repo):
    """A GitPython Repo whose every command goes through HardenedGit."""

    GitCommandWrapperType = HardenedGit
