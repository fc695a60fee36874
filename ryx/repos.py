"""Finding the local git repositories that research may search."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

_VENV_NAMES = frozenset({"venv", "env", "node_modules", "__pycache__", "site-packages"})


def find_git_repos(roots: Iterable[Path], *, max_depth: int = 2, limit: int = 50) -> list[Path]:
    """Directories holding a `.git` at or below `roots`, sorted and deduplicated.

    A root is depth 0; search goes `max_depth` levels below it, never into a repository
    already found, a hidden directory or a virtual environment. Missing roots are ignored.
    At most `limit` paths are returned.
    """
    found: set[Path] = set()
    seen: set[Path] = set()
    for root in roots:
        root = Path(root).expanduser()
        if root.is_dir():
            found.update(_repos_under(root.resolve(), max_depth, seen))
    return sorted(found)[: max(limit, 0)]


def _repos_under(directory: Path, depth_left: int, seen: set[Path]) -> Iterator[Path]:
    if directory in seen:
        return
    seen.add(directory)
    if (directory / ".git").exists():
        yield directory
        return
    if depth_left <= 0:
        return
    for child in _subdirs(directory):
        yield from _repos_under(child.resolve(), depth_left - 1, seen)


def _subdirs(directory: Path) -> list[Path]:
    """Child directories worth a look: not hidden, not a venv; unreadable ones are skipped."""
    try:
        children = sorted(directory.iterdir())
    except OSError:
        return []
    return [c for c in children if _worth_entering(c)]


def _worth_entering(path: Path) -> bool:
    if path.name.startswith(".") or path.name in _VENV_NAMES:
        return False
    try:
        return path.is_dir() and not (path / "pyvenv.cfg").exists()
    except OSError:
        return False
