"""The suite cleans up after itself: a passing test's tmp_path does not outlive the run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_the_suite_removes_the_tmp_path_of_a_passing_test(tmp_path) -> None:
    root = Path(__file__).resolve().parent.parent
    (tmp_path / "tiny").mkdir()
    (tmp_path / "tiny" / "test_tiny.py").write_text(
        "def test_passes(tmp_path):\n    (tmp_path / 'made').write_text('x')\n\n\n"
        "def test_fails(tmp_path):\n    (tmp_path / 'made').write_text('x')\n    assert False\n")
    base = tmp_path / "base"
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", str(root / "pyproject.toml"),
                    f"--basetemp={base}", str(tmp_path / "tiny")], capture_output=True, text=True, timeout=120)
    left = sorted(p.name for p in base.iterdir() if not p.is_symlink()) if base.exists() else []
    assert left == ["test_fails0"], left  # the failing test's folder is kept to look at
