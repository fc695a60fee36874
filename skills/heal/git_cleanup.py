"""Repair what a crash leaves in a repo's worktree bookkeeping, never the user's own checkout.

Prunes worktree records whose directory is gone, unlocks locked worktrees that are gone or
were made by Ryx (under `<git dir>/ryx/` or on a `ryx/` branch), and removes stale
`.git/worktrees/*/index.lock` files that no process holds. The main `.git/index.lock`
belongs to the user's checkout and is never touched.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

STALE_LOCK_S = 120.0
# The repository's hooks and fsmonitor never run inside these calls.
_HARDENED = ("-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false")


class GitCleanupError(RuntimeError):
    """git could not be asked about the repo (not a repo, git missing)."""


@dataclass(frozen=True)
class _Worktree:
    path: Path
    branch: str
    locked: bool


def clean_git_leftovers(repo_dir: Path, *, stale_after_s: float = STALE_LOCK_S) -> list[str]:
    """Prune, unlock and unlock-file the worktrees of `repo_dir`; return what was done."""
    repo_dir = Path(repo_dir)
    common = _common_dir(repo_dir)
    done: list[str] = []
    for worktree in _worktrees(repo_dir)[1:]:
        reason = _unlock_reason(worktree, common)
        if reason:
            _git(repo_dir, "worktree", "unlock", str(worktree.path))
            done.append(f"unlocked worktree {worktree.path} ({reason})")
    pruned = _git(repo_dir, "worktree", "prune", "--verbose")
    done.extend(f"pruned: {line.strip()}" for line in pruned.splitlines() if line.strip())
    for lock in sorted((common / "worktrees").glob("*/index.lock")):
        if _is_stale(lock, stale_after_s):
            lock.unlink(missing_ok=True)
            done.append(f"removed stale lock {lock}")
    return done


def _git(repo_dir: Path, *args: str) -> str:
    try:
        result = subprocess.run(
            ["git", *_HARDENED, *args], cwd=repo_dir, capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise GitCleanupError(f"git {' '.join(args)} could not run in {repo_dir}: {error}; check that git is installed") from error
    if result.returncode != 0:
        raise GitCleanupError(
            f"git {' '.join(args)} failed in {repo_dir}: {result.stderr.strip()}; "
            "pass the root of a git repository"
        )
    return result.stdout + result.stderr


def _common_dir(repo_dir: Path) -> Path:
    if not repo_dir.is_dir():
        raise GitCleanupError(f"{repo_dir} is not a directory; pass the root of a git repository")
    out = _git(repo_dir, "rev-parse", "--git-common-dir").strip()
    return (repo_dir / out).resolve()


def _worktrees(repo_dir: Path) -> list[_Worktree]:
    """`git worktree list --porcelain`, the main worktree first."""
    found: list[_Worktree] = []
    for record in _git(repo_dir, "worktree", "list", "--porcelain").strip().split("\n\n"):
        fields = [line.split(" ", 1) for line in record.splitlines() if line]
        values = {f[0]: (f[1] if len(f) > 1 else "") for f in fields}
        if "worktree" in values:
            branch = values.get("branch", "").removeprefix("refs/heads/")
            found.append(_Worktree(Path(values["worktree"]), branch, "locked" in values))
    return found


def _unlock_reason(worktree: _Worktree, common: Path) -> str:
    if not worktree.locked:
        return ""
    if not worktree.path.exists():
        return "its directory is gone"
    if _is_within(worktree.path, common / "ryx") or worktree.branch.startswith("ryx/"):
        return "made by Ryx"
    return ""


def _is_within(path: Path, parent: Path) -> bool:
    try:
        path.resolve().relative_to(parent.resolve())
    except ValueError:
        return False
    return True


def _is_stale(lock: Path, stale_after_s: float) -> bool:
    """Old enough, and no process has it open or runs git inside that worktree."""
    try:
        age = time.time() - lock.stat().st_mtime
    except FileNotFoundError:
        return False
    return age >= stale_after_s and not _held(lock)


def _held(lock: Path) -> bool:
    proc = Path("/proc")
    if not proc.is_dir():
        return False
    worktree = _worktree_of(lock.parent)
    for pid_dir in proc.iterdir():
        if pid_dir.name.isdigit():
            if _opens(pid_dir, lock) or _git_inside(pid_dir, worktree):
                return True
    return False


def _worktree_of(admin_dir: Path) -> Path | None:
    """The worktree directory an admin dir (`.git/worktrees/<name>`) belongs to."""
    try:
        return Path((admin_dir / "gitdir").read_text().strip()).parent
    except OSError:
        return None


def _opens(pid_dir: Path, target: Path) -> bool:
    try:
        return any(os.readlink(fd) == str(target) for fd in (pid_dir / "fd").iterdir())
    except OSError:
        return False


def _git_inside(pid_dir: Path, worktree: Path | None) -> bool:
    if worktree is None:
        return False
    try:
        name = (pid_dir / "comm").read_text().strip()
        cwd = Path(os.readlink(pid_dir / "cwd"))
    except OSError:
        return False
    return name.startswith("git") and _is_within(cwd, worktree)
