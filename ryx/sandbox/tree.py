"""The private copy of a tree that a sandboxed run works on, and its removal.

The copy holds what git would commit (tracked files and untracked ones that are not ignored)
and never `.git` or compiled bytecode: code under test cannot reach the repository, its
hooks, its refs or the folders around it, no stale or planted `.pyc` stands in for a source
file, and whatever it writes is thrown away with the copy.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from ryx.gitsafe import run_git

SKIP_DIRS = frozenset({".git", "__pycache__", ".venv", "venv", "node_modules", ".mypy_cache",
                       ".pytest_cache", ".ruff_cache", ".tox"})


def copy_tree(src: Path, dest: Path) -> int:
    """Copy the files of `src` into `dest` (created); the number of files copied."""
    src, dest = Path(src), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    count = 0
    for rel in tree_files(src):
        if _copy_one(src / rel, dest / rel):
            count += 1
    return count


def tree_files(src: Path) -> list[str]:
    """The files of a tree, relative: what git would commit in a work tree, else every file
    outside caches and virtual environments."""
    src = Path(src)
    if (src / ".git").exists():
        out = run_git(src, "ls-files", "-z", "--cached", "--others", "--exclude-standard").stdout
        return [p for p in dict.fromkeys(out.split("\0")) if p and _wanted(p)]
    return [str(p.relative_to(src)) for p in _walk(src) if _wanted(str(p))]


def _wanted(path: str) -> bool:
    parts = Path(path).parts
    return ".git" not in parts and "__pycache__" not in parts and not path.endswith((".pyc", ".pyo"))


def _walk(root: Path):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in filenames:
            yield Path(dirpath) / name


def _copy_one(source: Path, target: Path) -> bool:
    """One file (or symlink, kept as a link) into place; False when it no longer exists."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_symlink():
        os.symlink(os.readlink(source), target)
        return True
    if source.is_dir():  # a submodule: its files, without its .git
        shutil.copytree(source, target, symlinks=True, ignore=shutil.ignore_patterns(".git"),
                        dirs_exist_ok=True)
        return True
    if not source.is_file():
        return False
    shutil.copy2(source, target)
    return True


def remove_tree(path: Path) -> None:
    """Remove `path` even where the code that ran in it took away permissions."""
    def _retry(func, failed, _exc) -> None:
        for p in {failed, os.path.dirname(failed)}:
            try:
                os.chmod(p, stat.S_IRWXU)
            except OSError:
                pass
        try:
            func(failed)
        except FileNotFoundError:
            pass

    if Path(path).exists():
        shutil.rmtree(path, onerror=_retry)
