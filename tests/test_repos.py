"""ryx.repos.find_git_repos over real folders and real `git init` repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ryx.repos import find_git_repos


def init(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(path)], check=True, capture_output=True)
    return path


def test_finds_repos_below_roots_sorted(tmp_path: Path) -> None:
    b = init(tmp_path / "code" / "b")
    a = init(tmp_path / "code" / "a")
    (tmp_path / "code" / "not_a_repo").mkdir()
    assert find_git_repos([tmp_path / "code"]) == [a.resolve(), b.resolve()]


def test_root_that_is_a_repo_is_returned_and_not_descended(tmp_path: Path) -> None:
    outer = init(tmp_path / "outer")
    init(outer / "vendor" / "inner")
    assert find_git_repos([outer]) == [outer.resolve()]


def test_does_not_descend_into_a_found_repo(tmp_path: Path) -> None:
    outer = init(tmp_path / "outer")
    init(outer / "sub")
    assert find_git_repos([tmp_path]) == [outer.resolve()]


def test_max_depth(tmp_path: Path) -> None:
    shallow = init(tmp_path / "one")
    deep = init(tmp_path / "x" / "y" / "three")
    assert find_git_repos([tmp_path], max_depth=2) == [shallow.resolve()]
    assert find_git_repos([tmp_path], max_depth=3) == [shallow.resolve(), deep.resolve()]
    assert find_git_repos([tmp_path], max_depth=0) == []


def test_hidden_dirs_and_venvs_are_skipped(tmp_path: Path) -> None:
    init(tmp_path / ".cache" / "repo")
    init(tmp_path / "node_modules" / "pkg")
    venv = tmp_path / "myenv"
    venv.mkdir()
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    init(venv / "src" / "pkg")
    visible = init(tmp_path / "visible")
    assert find_git_repos([tmp_path], max_depth=3) == [visible.resolve()]


def test_git_file_counts_as_a_repo(tmp_path: Path) -> None:
    worktree = tmp_path / "wt"
    worktree.mkdir()
    (worktree / ".git").write_text("gitdir: /somewhere/else\n")
    assert find_git_repos([tmp_path]) == [worktree.resolve()]


def test_missing_roots_ignored_and_duplicates_merged(tmp_path: Path) -> None:
    repo = init(tmp_path / "r")
    roots = [tmp_path / "missing", tmp_path, tmp_path / "r", tmp_path / "r" / ".." / "r"]
    assert find_git_repos(roots) == [repo.resolve()]


def test_limit(tmp_path: Path) -> None:
    repos = [init(tmp_path / f"r{i}").resolve() for i in range(5)]
    assert find_git_repos([tmp_path], limit=3) == repos[:3]


def test_symlink_loop_terminates(tmp_path: Path) -> None:
    repo = init(tmp_path / "a" / "repo")
    (tmp_path / "a" / "loop").symlink_to(tmp_path, target_is_directory=True)
    assert find_git_repos([tmp_path], max_depth=5) == [repo.resolve()]
