"""`python -m benchmark` as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    return subprocess.run([sys.executable, "-m", "benchmark", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


def _target(root: Path) -> Path:
    (root / "ryx.toml").write_text('[benchmark]\npaths = ["checks"]\ntest_timeout_s = 10\n')
    (root / "checks").mkdir()
    (root / "checks" / "test_it.py").write_text(
        "import pytest\n"
        "@pytest.mark.points(4, category='edit_success')\ndef test_ok(): pass\n"
        "@pytest.mark.points(1, category='speed')\ndef test_no(): assert False\n"
    )
    return root


def test_json_output_is_a_valid_scorecard(tmp_path: Path) -> None:
    done = _cli("--target", str(_target(tmp_path)), "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["total"], data["max"]) == (4, 5)
    assert data["tests"]["checks/test_it.py::test_no"]["outcome"] == "failed"
    assert len(data["tree"]) == 64  # not a git repository: a sha256 of the files


def test_table_output_in_points(tmp_path: Path) -> None:
    done = _cli("--target", str(_target(tmp_path)))
    assert done.returncode == 0, done.stderr
    assert "edit_success" in done.stdout and "4/4" in done.stdout and "4/5" in done.stdout


def test_a_missing_target_exits_3_with_a_clear_message() -> None:
    done = _cli("--target", "/nonexistent/ryx-target")
    assert done.returncode == 3
    assert done.stderr.startswith("ryx: --target /nonexistent/ryx-target: no such directory")


def test_a_bad_configuration_exits_2_naming_the_key(tmp_path: Path) -> None:
    (tmp_path / "ryx.toml").write_text("[benchmark]\npathz = ['x']\n")
    done = _cli("--target", str(tmp_path))
    assert done.returncode == 2 and "pathz" in done.stderr and done.stderr.startswith("ryx: ")
