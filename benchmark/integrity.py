"""What a candidate may not touch, and the hashes that say what exactly was scored.

A change to the benchmark itself, or to anything that changes what pytest collects or how the
interpreter starts (conftest.py, pytest configuration, sitecustomize, .pth files), is rejected
before scoring: it could raise the points without improving the code.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import tomllib
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from pathlib import Path, PurePosixPath

from benchmark.scorecard import BenchmarkError
from benchmark.spec import BenchSpec

# Files that change collection or interpreter start-up wherever they are.
_ALWAYS = {
    "conftest.py": "conftest.py changes what pytest collects and how tests run",
    "sitecustomize.py": "sitecustomize.py runs at every interpreter start",
    "usercustomize.py": "usercustomize.py runs at every interpreter start",
}
_PYTEST_CONFIG = ("pytest.ini", "tox.ini", "setup.cfg")
_SKIP_DIRS = {".git", "__pycache__", ".venv", "venv", "node_modules", ".mypy_cache",
              ".pytest_cache", ".ruff_cache", ".tox"}
_TEST_FILE = re.compile(r"(^test_.*|.*_test)\.py$")
_TEST_DIRS = frozenset({"test", "tests", "testing"})

# (path) -> (text before, text after); None where the file does not exist on that side.
TextPair = Callable[[str], tuple[str | None, str | None]]


def protected_violations(
    changed_paths: Iterable[str], spec: BenchSpec, *, texts: TextPair | None = None
) -> list[str]:
    """One reason per changed path the candidate may not touch (empty: nothing protected).

    `texts` lets pyproject.toml through when only its non-pytest, non-ryx sections changed;
    without it any pyproject.toml change is protected.
    """
    reasons = []
    for raw in changed_paths:
        reason = _violation(_normalise(raw), spec, texts)
        if reason:
            reasons.append(f"{raw}: {reason}")
    return reasons


def _violation(path: str, spec: BenchSpec, texts: TextPair | None) -> str | None:
    pure = PurePosixPath(path)
    if path.startswith("/") or ".." in pure.parts:
        return "outside the target"
    if pure.name in _ALWAYS:
        return _ALWAYS[pure.name]
    if pure.suffix == ".pth":
        return ".pth files run code at every interpreter start"
    if path in _PYTEST_CONFIG:
        return "pytest configuration decides what the benchmark collects"
    if path == "pyproject.toml" and _pyproject_matters(path, texts):
        return "its [tool.pytest] or [tool.ryx] section configures the benchmark"
    if _in_benchmark(path, spec):
        return "part of the benchmark"
    for pattern in spec.protected:
        if glob_match(path, pattern):
            return f"protected by the pattern {pattern!r}"
    return None


def _normalise(path: str) -> str:
    text = path.replace("\\", "/")
    while text.startswith("./"):
        text = text[2:]
    return text


def is_test_path(path: str) -> bool:
    """In all-tests mode the benchmark is every test file and everything in a test folder
    (helpers like tests/common.py decide outcomes too)."""
    parts = PurePosixPath(path).parts
    return bool(_TEST_FILE.match(parts[-1])) or any(p in _TEST_DIRS for p in parts[:-1])


def _in_benchmark(path: str, spec: BenchSpec) -> bool:
    if not spec.paths:  # all-tests mode
        return is_test_path(path)
    for bench in spec.paths:
        bench = _normalise(bench).rstrip("/").split("::", 1)[0]
        if bench in ("", ".") or path == bench or path.startswith(bench + "/"):
            return True
    return False


def _pyproject_matters(path: str, texts: TextPair | None) -> bool:
    if texts is None:
        return True
    before, after = texts(path)
    return _benchmark_sections(before) != _benchmark_sections(after)


def _benchmark_sections(text: str | None) -> object:
    if text is None:
        return None
    try:
        tool = tomllib.loads(text).get("tool", {})
    except tomllib.TOMLDecodeError:
        return ("unparsable", text)
    return {name: tool.get(name) for name in ("pytest", "ryx")}


def glob_match(path: str, pattern: str) -> bool:
    """Match a relative POSIX path against a glob: `*` within a segment, `**` across them.

    A pattern that matches a parent directory matches everything under it.
    """
    regex = _glob_regex(_normalise(pattern).rstrip("/"))
    parts = path.split("/")
    return any(regex.fullmatch("/".join(parts[:n])) for n in range(len(parts), 0, -1))


@lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        else:
            char = pattern[i]
            out.append({"*": "[^/]*", "?": "[^/]"}.get(char, re.escape(char)))
            i += 1
    return re.compile("".join(out))


def benchmark_files(root: Path, spec: BenchSpec) -> list[Path]:
    """The files whose content defines the benchmark, sorted: its paths, plus root-level
    conftest.py and pytest configuration files (all test files in all-tests mode)."""
    root = Path(root)
    found: set[Path] = set()
    if spec.paths:
        for bench in spec.paths:
            found.update(_files_under(root / bench.split("::", 1)[0]))
    else:
        found.update(p for p in _files_under(root) if is_test_path(p.relative_to(root).as_posix()))
    for name in ("conftest.py", *_PYTEST_CONFIG):
        if (root / name).is_file():
            found.add(root / name)
    return sorted(found)


def _files_under(path: Path) -> Iterator[Path]:
    if path.is_file():
        yield path
        return
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        for name in filenames:
            file = Path(dirpath) / name
            if not name.endswith((".pyc", ".pyo")) and file.is_file():
                yield file


def benchmark_files_hash(root: Path, spec: BenchSpec) -> str:
    """sha256 over the benchmark files' relative paths and contents (and pyproject's
    [tool.pytest] / [tool.ryx] sections)."""
    root = Path(root)
    digest = hashlib.sha256()
    for path in benchmark_files(root, spec):
        _feed(digest, path.relative_to(root).as_posix(), path.read_bytes())
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        sections = _benchmark_sections(pyproject.read_text(encoding="utf-8", errors="replace"))
        _feed(digest, "pyproject.toml[tool]", repr(sections).encode())
    return digest.hexdigest()


def _feed(digest: "hashlib._Hash", name: str, data: bytes) -> None:
    digest.update(f"{name}\0{len(data)}\0".encode())
    digest.update(data)


def tree_hash(root: Path) -> str:
    """The git tree of the working tree as it is (uncommitted and untracked files included),
    computed in a temporary index so the user's index is never touched; outside git, a
    sha256 over the files."""
    root = Path(root)
    if shutil.which("git") is None or _git(root, "rev-parse", "--is-inside-work-tree") != "true":
        return _files_hash(root)
    index = _git(root, "rev-parse", "--path-format=absolute", "--git-path", "index")
    with tempfile.TemporaryDirectory(prefix="ryx-index-") as tmp:
        env = {**os.environ, "GIT_INDEX_FILE": str(Path(tmp) / "index")}
        if index and Path(index).is_file():
            shutil.copyfile(index, env["GIT_INDEX_FILE"])  # keeps the stat cache: fast add
        _git(root, "add", "-A", env=env, check=True)
        return _git(root, "write-tree", env=env, check=True)


def _git(root: Path, *args: str, env: dict[str, str] | None = None, check: bool = False) -> str:
    proc = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                          env=env, timeout=120)
    if check and proc.returncode != 0:
        raise BenchmarkError(
            f"git {' '.join(args)} failed in {root}: {proc.stderr.strip()}. "
            "Check that the repository is not corrupt (`git status` there)."
        )
    return proc.stdout.strip() if proc.returncode == 0 else ""


def _files_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(_files_under(root)):
        _feed(digest, path.relative_to(root).as_posix(), path.read_bytes())
    return digest.hexdigest()
