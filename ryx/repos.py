"""Finding the local git repositories that research may search.

`discover` walks the user's home (or the configured roots) breadth-first, the usual code
folders first, within a depth, a time and a count budget; it never enters a repository it
found, a hidden folder, a cache, a virtual environment or `node_modules`.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

_VENV_NAMES = frozenset({"venv", "env", "node_modules", "__pycache__", "site-packages"})
# Folders of a home that hold no one's own code: package caches, app data, downloads of tools.
_HOME_SKIP = frozenset({
    "Library", "Applications", "snap", "Music", "Pictures", "Movies", "Videos", "Public",
    "AppData", "miniconda3", "anaconda3", "miniforge3", "mambaforge", "Zotero",
})
_RYX_SCRATCH = ("ryx-run-", "ryx-skills-", "ryx-index-", "ryx-lint-")
# Where people keep code, looked at first so a bounded walk spends its time well.
CODE_FOLDERS = ("code", "src", "work", "projects", "dev", "git", "repos", "workspace",
                "Projects", "Code", "Developer", "source", "github", "Documents")
DISCOVER_DEPTH = 4
DISCOVER_BUDGET_S = 10.0
DISCOVER_LIMIT = 500


@dataclass(frozen=True)
class Discovery:
    """Repositories found, and whether the walk stopped at a budget before it was done."""

    repos: tuple[Path, ...]
    complete: bool
    seconds: float


def find_git_repos(roots: Iterable[Path], *, max_depth: int = 2, limit: int = 50) -> list[Path]:
    """Directories holding a `.git` at or below `roots`, sorted and deduplicated.

    A root is depth 0; search goes `max_depth` levels below it, never into a repository
    already found, a hidden directory or a virtual environment. Missing roots are ignored.
    At most `limit` paths are returned.
    """
    found = discover(roots, max_depth=max_depth, limit=None, budget_s=None, priority=())
    return sorted(found.repos)[: max(limit, 0)]


def discover(roots: Iterable[Path], *, exclude: Iterable[str] = (), max_depth: int = DISCOVER_DEPTH,
             limit: int | None = DISCOVER_LIMIT, budget_s: float | None = DISCOVER_BUDGET_S,
             priority: Iterable[str] = CODE_FOLDERS) -> Discovery:
    """Git repositories at or below `roots`: the `priority` folders of each root walked
    first, then the rest of it, each breadth-first. Paths matching an `exclude` glob (or
    whose folder name does) are skipped."""
    walk = _Walk(tuple(exclude), max_depth, limit, None if budget_s is None else time.monotonic() + budget_s)
    first = tuple(priority)
    for root in roots:
        root = Path(root).expanduser()
        if not root.is_dir():
            continue
        root = root.resolve()
        for name in first:
            if _worth_entering(root / name):
                walk.run(root / name, 1)
        walk.run(root, 0)
    return Discovery(tuple(walk.found), walk.complete, time.monotonic() - walk.started)


class _Walk:
    """One discovery's shared budget and findings, over several breadth-first walks."""

    def __init__(self, exclude: tuple[str, ...], max_depth: int, limit: int | None, deadline: float | None):
        self.exclude, self.max_depth, self.limit, self.deadline = exclude, max_depth, limit, deadline
        self.found: dict[Path, None] = {}
        self.seen: set[Path] = set()
        self.complete = True
        self.started = time.monotonic()

    def run(self, start: Path, depth: int) -> None:
        queue: deque[tuple[Path, int]] = deque([(start, depth)])
        while queue:
            if self._spent():
                self.complete = False
                return
            directory, depth = queue.popleft()
            if directory in self.seen or _excluded(directory, self.exclude):
                continue
            self.seen.add(directory)
            if (directory / ".git").exists():
                self.found[directory] = None
            elif depth < self.max_depth:
                queue.extend((child.resolve(), depth + 1) for child in _subdirs(directory))

    def _spent(self) -> bool:
        over_time = self.deadline is not None and time.monotonic() > self.deadline
        return over_time or (self.limit is not None and len(self.found) >= self.limit)


def _excluded(path: Path, patterns: tuple[str, ...]) -> bool:
    text = str(path)
    return any(fnmatch(text, os.path.expanduser(p)) or fnmatch(path.name, p) for p in patterns)


def _subdirs(directory: Path) -> list[Path]:
    """Child directories worth a look, sorted; unreadable ones are skipped."""
    try:
        children = sorted(directory.iterdir())
    except OSError:
        return []
    return [c for c in children if _worth_entering(c)]


def _worth_entering(path: Path) -> bool:
    name = path.name
    if name.startswith(".") or name in _VENV_NAMES or name in _HOME_SKIP or name.endswith(".egg-info"):
        return False
    if name.startswith(_RYX_SCRATCH):  # Ryx's own private copies, made and removed as it runs
        return False
    try:
        return path.is_dir() and not path.is_symlink() and not (path / "pyvenv.cfg").exists()
    except OSError:
        return False

