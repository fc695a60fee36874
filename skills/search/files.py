"""Which files of a repository are indexed, and how a file is cut into chunks."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

MAX_FILE_BYTES = 512 * 1024
CHUNK_LINES = 40
OVERLAP_LINES = 10
SKIP_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".tox",
        ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".eggs", ".idea",
    }
)


def skipped_dir(name: str) -> bool:
    """True for directories whose files are never indexed (VCS data, venvs, caches)."""
    return name in SKIP_DIRS or name.endswith(".egg-info")


def list_files(root: Path) -> list[str]:
    """Relative POSIX paths of the candidate files: `git ls-files` in a git repo, else a walk."""
    paths = _git_files(root) if (root / ".git").exists() else None
    if paths is None:
        paths = _walk_files(root)
    return sorted(p for p in paths if not any(skipped_dir(d) for d in p.split("/")[:-1]))


def _git_files(root: Path) -> list[str] | None:
    """Tracked plus untracked-but-not-ignored files; None when git cannot answer."""
    # The repository's hooks and fsmonitor never run inside this call.
    cmd = ["git", "-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false", "-C", str(root),
           "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    names = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
    return list(dict.fromkeys(n for n in names if n))


def _walk_files(root: Path) -> list[str]:
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not skipped_dir(d)]
        rel_dir = Path(dirpath).relative_to(root)
        found.extend((rel_dir / name).as_posix() for name in filenames)
    return found


def read_text(data: bytes) -> str | None:
    """The text of a file's bytes, or None for a binary file (a NUL byte near the start)."""
    if b"\0" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace")


def chunks(text: str) -> Iterator[tuple[int, int, str]]:
    """(first line, last line, text) windows of CHUNK_LINES lines overlapping by OVERLAP_LINES.

    Line numbers are 1-based and inclusive; an empty file yields nothing.
    """
    lines = text.splitlines()
    step = CHUNK_LINES - OVERLAP_LINES
    start = 0
    while start < len(lines):
        end = min(start + CHUNK_LINES, len(lines))
        yield start + 1, end, "\n".join(lines[start:end])
        if end >= len(lines):
            break
        start += step
