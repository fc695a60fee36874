"""The benchmark's files and the hashes that say what exactly was scored.

The files are counted the way the private copy is made (what git would commit), so a hash
taken on the loop's worktree and one taken on the copy agree exactly.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from benchmark.protect import bench_roots, benchmark_sections, is_config_file, is_test_path
from benchmark.scorecard import BenchmarkError
from ryx.benchspec import BenchSpec
from ryx.errors import RyxError
from ryx.gitsafe import run_git
from ryx.sandbox.tree import tree_files


def benchmark_files(root: Path, spec: BenchSpec) -> list[Path]:
    """The files whose content defines the benchmark, sorted: its paths (every test file in
    all-tests mode), and conftest.py and pytest configuration files wherever they stand."""
    root = Path(root)
    roots = bench_roots(spec)
    found = []
    for rel in tree_files(root):
        if _defines_benchmark(rel, roots) and (root / rel).is_file():
            found.append(root / rel)
    return sorted(found)


def _defines_benchmark(rel: str, roots: list[str]) -> bool:
    if is_config_file(rel):
        return PurePosixPath(rel).name != "pyproject.toml"  # hashed by its sections only
    if not roots:
        return is_test_path(rel)
    return any(b in ("", ".") or rel == b or rel.startswith(b + "/") for b in roots)


def readonly_paths(root: Path, spec: BenchSpec) -> list[str]:
    """What a run may not write: the benchmark's paths (test folders in all-tests mode) and
    every configuration file, relative to `root`. Folders are listed once, not file by file."""
    roots = [b for b in bench_roots(spec) if b not in ("", ".")] if spec.paths else []
    files = [p.relative_to(root).as_posix() for p in benchmark_files(root, spec)]
    if not spec.paths:
        roots = sorted({_test_folder(rel) for rel in files if _test_folder(rel)})
    covered = [rel for rel in files if not any(rel == r or rel.startswith(r + "/") for r in roots)]
    configs = [rel for rel in tree_files(root) if PurePosixPath(rel).name == "pyproject.toml"]
    return sorted({*roots, *covered, *configs})


def _test_folder(rel: str) -> str:
    """The outermost test folder (tests/, test/, testing/) a file lies in, or ''."""
    parts = PurePosixPath(rel).parts
    for n, part in enumerate(parts[:-1]):
        if part in ("test", "tests", "testing"):
            return "/".join(parts[: n + 1])
    return ""


def benchmark_files_hash(root: Path, spec: BenchSpec) -> str:
    """sha256 over the benchmark files' relative paths and contents (and pyproject's
    [tool.pytest] / [tool.ryx] sections)."""
    root = Path(root)
    digest = hashlib.sha256()
    for path in benchmark_files(root, spec):
        _feed(digest, path.relative_to(root).as_posix(), path.read_bytes())
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        sections = benchmark_sections(pyproject.read_text(encoding="utf-8", errors="replace"))
        _feed(digest, "pyproject.toml[tool]", repr(sections).encode())
    return digest.hexdigest()


def _feed(digest: hashlib._Hash, name: str, data: bytes) -> None:
    digest.update(f"{name}\0{len(data)}\0".encode())
    digest.update(data)


def config_changes(root: Path) -> list[str]:
    """Configuration files of the git work tree at `root` that differ from its HEAD commit
    (pytest's configuration comes from the baseline commit, never from a candidate)."""
    status = run_git(root, "status", "--porcelain", "-z", "--untracked-files=all", "--no-renames").stdout
    changed = [entry[3:] for entry in status.split("\0") if len(entry) > 3]
    return sorted(path for path in changed if is_config_file(path))


def tree_hash(root: Path) -> str:
    """The git tree of the working tree as it is (uncommitted and untracked files included),
    computed in a temporary index so the user's index is never touched; outside git, a
    sha256 over the files."""
    root = Path(root)
    if shutil.which("git") is None or not (root / ".git").exists():
        return _files_hash(root)
    index = run_git(root, "rev-parse", "--path-format=absolute", "--git-path", "index").stdout.strip()
    with tempfile.TemporaryDirectory(prefix="ryx-index-") as tmp:
        env = {**os.environ, "GIT_INDEX_FILE": str(Path(tmp) / "index")}
        if index and Path(index).is_file():
            shutil.copyfile(index, env["GIT_INDEX_FILE"])  # keeps the stat cache: fast add
        try:
            run_git(root, "add", "-A", env=env)
            return run_git(root, "write-tree", env=env).stdout.strip()
        except RyxError as exc:
            raise BenchmarkError(f"{exc} Check that the repository is not corrupt (`git status` "
                                 "there).") from exc


def _files_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for rel in sorted(tree_files(root)):
        if (root / rel).is_file():
            _feed(digest, rel, (root / rel).read_bytes())
    return digest.hexdigest()
