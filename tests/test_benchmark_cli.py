"""`python -m benchmark` as a real subprocess, its scorecard history in a real SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ryx.checkpoints import open_database
from ryx.memory import Memory

REPO = Path(__file__).resolve().parents[1]


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """Run it with RYX_HOME in `home`, so its default database never is Ryx's own."""
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "RYX_HOME": str(home)}
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
    done = _cli("--target", str(_target(tmp_path)), "--json", home=tmp_path / "home")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["total"], data["max"]) == (4, 5)
    assert data["tests"]["checks/test_it.py::test_no"]["outcome"] == "failed"
    assert len(data["tree"]) == 64  # not a git repository: a sha256 of the files
    assert _stored(tmp_path / "home" / "checkpoints" / "ryx.sqlite", tmp_path) == [data]


def test_table_output_in_points(tmp_path: Path) -> None:
    done = _cli("--target", str(_target(tmp_path)), home=tmp_path / "home")
    assert done.returncode == 0, done.stderr
    assert "edit_success" in done.stdout and "4/4" in done.stdout and "4/5" in done.stdout


def test_a_missing_target_exits_3_with_a_clear_message(tmp_path: Path) -> None:
    done = _cli("--target", "/nonexistent/ryx-target", home=tmp_path)
    assert done.returncode == 3
    assert done.stderr.startswith("ryx: --target /nonexistent/ryx-target: no such directory")


def test_a_bad_configuration_exits_2_naming_the_key(tmp_path: Path) -> None:
    (tmp_path / "ryx.toml").write_text("[benchmark]\npathz = ['x']\n")
    done = _cli("--target", str(tmp_path), home=tmp_path / "home")
    assert done.returncode == 2 and "pathz" in done.stderr and done.stderr.startswith("ryx: ")


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@localhost", *args],
                   check=True, capture_output=True)


def _git_target(root: Path) -> Path:
    root.mkdir()
    _target(root)
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "a benchmark with one failing test")
    return root


def _stored(db: Path, target: Path) -> list[dict]:
    with open_database(db, exclusive=False) as opened:
        return [entry["scorecard"] for entry in Memory(opened.store, target).history()]


def test_the_second_run_shows_the_change_since_the_stored_first(tmp_path: Path) -> None:
    target, db = _git_target(tmp_path / "t"), tmp_path / "db" / "history.sqlite"
    first = _cli("--target", str(target), "--db", str(db), home=tmp_path / "home")
    assert first.returncode == 0, first.stderr
    assert "no earlier stored run" in first.stdout and "(+" not in first.stdout
    test_file = target / "checks" / "test_it.py"
    test_file.write_text(test_file.read_text().replace("assert False", "assert True"))
    _git(target, "commit", "-qam", "fix test_no")
    second = _cli("--target", str(target), "--db", str(db), home=tmp_path / "home")
    assert second.returncode == 0, second.stderr
    rows = {line.split()[0]: line.split()[1:] for line in second.stdout.splitlines()[1:4]}
    assert rows == {"edit_success": ["4/4", "(±0)"], "speed": ["1/1", "(+1)"], "total": ["5/5", "(+1)"]}
    assert "change since" in second.stdout and "4/5 points" in second.stdout
    assert [card["total"] for card in _stored(db, target)] == [4, 5]
    assert not (tmp_path / "home" / "checkpoints").exists()


def test_no_save_stores_nothing_but_still_compares(tmp_path: Path) -> None:
    target, db = _git_target(tmp_path / "t"), tmp_path / "history.sqlite"
    done = _cli("--target", str(target), "--db", str(db), "--no-save", home=tmp_path / "home")
    assert done.returncode == 0, done.stderr
    assert "not stored (--no-save)" in done.stdout and not db.exists()
    assert _cli("--target", str(target), "--db", str(db), home=tmp_path / "home").returncode == 0
    again = _cli("--target", str(target), "--db", str(db), "--no-save", home=tmp_path / "home")
    assert "total               4/5  (±0)" in again.stdout and "not stored" in again.stdout
    assert len(_stored(db, target)) == 1


def test_a_damaged_database_fails_before_the_run_with_what_to_do(tmp_path: Path) -> None:
    db = tmp_path / "broken.sqlite"
    db.write_bytes(b"not a database" * 100)
    done = _cli("--target", str(_git_target(tmp_path / "t")), "--db", str(db), home=tmp_path / "home")
    assert done.returncode == 2 and done.stdout == ""
    assert "is damaged" in done.stderr and "--db FILE" in done.stderr
