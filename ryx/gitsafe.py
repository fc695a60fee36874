"""Every git command Ryx runs: no hooks, no fsmonitor, and a timeout.

A target repository is not trusted: its `.git/hooks`, a `core.fsmonitor` command or a
`core.hooksPath` set in its config would otherwise run inside Ryx's own git calls, with Ryx's
environment. Every call here overrides them on the command line (which beats any config
file), and a call that runs past its time is killed and raised as `GitTimeout`, a RyxError
that the loop turns into a failed attempt instead of a crash.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from git import Git, GitCommandError, Repo

from ryx.errors import RyxError, UsageError

TIMEOUT_ENV = "RYX_GIT_TIMEOUT_S"
DEFAULT_TIMEOUT_S = 120.0
HARDENING = ("core.hooksPath=/dev/null", "core.fsmonitor=false")
GIT_OPTIONS = tuple(arg for setting in HARDENING for arg in ("-c", setting))


class GitTimeout(RyxError):
    """A git command ran past its time and was killed."""


def git_timeout() -> float:
    """Seconds a git command may run: RYX_GIT_TIMEOUT_S, else 120 (huge repositories may
    need more)."""
    raw = os.environ.get(TIMEOUT_ENV)
    if raw is None:
        return DEFAULT_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if value <= 0:
        raise UsageError(f"{TIMEOUT_ENV}={raw!r} is not a positive number of seconds; unset it or "
                         "set it to e.g. 300.")
    return value


def git_argv(*args: str) -> list[str]:
    """`git -c core.hooksPath=/dev/null -c core.fsmonitor=false ARGS`."""
    return ["git", *GIT_OPTIONS, *args]


def run_git(cwd: Path | str, *args: str, env: Mapping[str, str] | None = None,
            timeout: float | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run one hardened git command; GitTimeout when it runs past `timeout` (RYX_GIT_TIMEOUT_S)."""
    timeout = timeout or git_timeout()
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
    shown = [str(a) for a in args]
    if tuple(shown[: len(GIT_OPTIONS)]) == GIT_OPTIONS:
        shown = shown[len(GIT_OPTIONS):]
    return (f"git {' '.join(shown)} did not finish within {timeout:g} s and was killed (a huge "
            f"file or a slow filter in the repository? {TIMEOUT_ENV} sets the limit).")


class HardenedGit(Git):
    """GitPython's command wrapper with the hardening options and a default timeout."""

    def __init__(self, working_dir: Any = None) -> None:
        super().__init__(working_dir)
        self.set_persistent_git_options(c=list(HARDENING))

    def execute(self, command: Any, *args: Any, **kwargs: Any) -> Any:
        if not kwargs.get("as_process"):
            kwargs.setdefault("kill_after_timeout", git_timeout())
        started = time.time()
        try:
            return super().execute(command, *args, **kwargs)
        except GitCommandError as exc:
            if "did not complete in" in str(exc.stderr) or "timed out" in str(exc.stderr):
                where = self._working_dir or "."
                _clear_lock_left_by_kill(Path(where), started)
                raise GitTimeout(_timeout_message(list(command)[1:], kwargs.get("kill_after_timeout", 0),
                                                  where)) from exc
            raise


def _clear_lock_left_by_kill(work_tree: Path, since: float) -> None:
    """The git command we killed leaves its index.lock behind: remove it (only one made since
    that command started), so the next command is not refused."""
    dot_git = work_tree / ".git"
    if dot_git.is_file():  # a linked worktree: `gitdir: <path>`
        dot_git = Path(dot_git.read_text().split(":", 1)[1].strip())
    lock = dot_git / "index.lock"
    try:
        if lock.stat().st_mtime >= since - 1:
            lock.unlink()
    except OSError:
        pass


class SafeRepo(Repo):
    """A GitPython Repo whose every command goes through HardenedGit."""

    GitCommandWrapperType = HardenedGit
