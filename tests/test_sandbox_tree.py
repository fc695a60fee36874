"""The private copy a sandboxed run works on: what git would commit, never .git or bytecode."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from ryx.sandbox import copy_tree, remove_tree, tree_files


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def test_the_copy_holds_what_git_would_commit_and_nothing_else(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "pkg" / "__pycache__").mkdir(parents=True)
    (src / "pkg" / "mod.py").write_text("x = 1\n")
    (src / "pkg" / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"planted")
    (src / "stale.pyc").write_bytes(b"planted")
    (src / ".gitignore").write_text("build/\n")
    (src / "build").mkdir()
    (src / "build" / "big.bin").write_bytes(b"0" * 10)
    (src / "run.sh").write_text("#!/bin/sh\n")
    (src / "run.sh").chmod(0o755)
    _git(src, "init", "-q")
    _git(src, "add", "pkg/mod.py", ".gitignore", "run.sh")
    (src / "new.py").write_text("y = 2\n")  # untracked, not ignored
    os.symlink("pkg/mod.py", src / "link.py")

    copy_tree(src, tmp_path / "copy")

    copied = sorted(str(p.relative_to(tmp_path / "copy")) for p in (tmp_path / "copy").rglob("*")
                    if not p.is_dir())
    assert copied == [".gitignore", "link.py", "new.py", "pkg/mod.py", "run.sh"]
    assert os.readlink(tmp_path / "copy" / "link.py") == "pkg/mod.py"
    assert os.access(tmp_path / "copy" / "run.sh", os.X_OK)
    assert sorted(tree_files(src)) == [".gitignore", "link.py", "new.py", "pkg/mod.py", "run.sh"]


def test_remove_tree_removes_what_the_code_in_it_locked_away(tmp_path: Path) -> None:
    locked = tmp_path / "work" / "locked"
    locked.mkdir(parents=True)
    (locked / "f.txt").write_text("x")
    locked.chmod(0)
    remove_tree(tmp_path / "work")
    assert not (tmp_path / "work").exists()
