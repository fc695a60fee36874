"""`ryx report` as a real subprocess over a real SQLite history of a real git target."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmark.runner import run_benchmark
from ryx.benchspec import BenchSpec, env_key
from ryx.checkpoints import open_database
from ryx.memory import Memory, target_key

REPO = Path(__file__).resolve().parents[1]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SPEC = BenchSpec(paths=("bench",))
TESTS = """import pytest
from calc import add, sub

@pytest.mark.points(3, category="edit_success")
def test_add():
    assert add(2, 2) == 4

@pytest.mark.points(2, category="file_discovery")
def test_sub():
    assert sub(5, 3) == 2

@pytest.mark.points(1, category="speed")
def test_fast():
    assert True
"""
VERSIONS = [  # calc.py, commit message: scored 1, then 4, then 6 points
    ("def add(a, b):\n    return a - b\n\n\ndef sub(a, b):\n    return a + b\n", "both broken"),
    ("def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a + b\n", "fix add"),
    ("def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n", "fix sub"),
]


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@localhost", *args],
                   check=True, capture_output=True)


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    """A git target fixed in two commits, scored after each (once for this module)."""
    target = tmp_path_factory.mktemp("report") / "calc-project"
    (target / "bench").mkdir(parents=True)
    (target / "bench" / "test_calc.py").write_text(TESTS)
    _git(target, "init", "-q")
    cards = []
    for text, message in VERSIONS:
        (target / "calc.py").write_text(text)
        _git(target, "add", "-A")
        _git(target, "commit", "-qm", message)
        cards.append(run_benchmark(target, SPEC).to_json())
    return target, cards


def _history(tmp_path: Path, scored: tuple[Path, list[dict]]) -> tuple[Path, Path]:
    """A fresh SQLite database holding the 3 scorecards as cycles 1, 2, 3."""
    target, cards = scored
    db = tmp_path / "ckpt" / "ryx.sqlite"
    with open_database(db) as opened:
        mem = Memory(opened.store, target)
        for cycle, card in enumerate(cards, 1):
            mem.save_scorecard(card, env_key(SPEC), cycle)
    return target, db


def _report(target: Path, db: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "MPLBACKEND")}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    return subprocess.run([sys.executable, "-m", "graph.cli", "report", "--target", str(target), "--db", str(db)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def test_report_draws_the_history_and_links_it(tmp_path: Path, scored) -> None:
    target, db = _history(tmp_path, scored)
    done = _report(target, db)
    assert done.returncode == 0, done.stderr
    stem = f"report-calc-project-{target_key(target)[:6]}"
    chart, markdown = db.parent / f"{stem}.png", db.parent / f"{stem}.md"
    assert f"chart written: {chart}" in done.stdout and f"report written: {markdown}" in done.stdout
    data = chart.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 10_000
    text = markdown.read_text()
    assert f"![points per category over the stored runs]({stem}.png)" in text
    assert "Total: **6/6** points (first stored run: 1/6)" in text
    assert "| edit_success | 3 | 3 | +3 |" in text and "| file_discovery | 2 | 2 | +2 |" in text
    assert "| speed | 1 | 1 | +0 |" in text
    assert "| 2 |" in text and "| 4/6 | 3/3 | 0/2 | 1/1 |" in text
    assert "## Approvals: none" in text and "## Tickets: none" in text


def test_report_lists_approvals_and_tickets(tmp_path: Path, scored) -> None:
    target, db = _history(tmp_path, scored)
    with open_database(db) as opened:
        mem = Memory(opened.store, target)
        mem.put("approvals", "a1", {"id": "a1", "status": "pending", "kind": "core", "test_id": "bench/t.py::x",
                                    "before": 4, "after": 6})
        mem.put("tickets", "t1", {"id": "t1", "status": "open", "test_id": "bench/t.py::y",
                                  "category": "speed", "cycle": 7})
    assert _report(target, db).returncode == 0
    text = (db.parent / f"report-calc-project-{target_key(target)[:6]}.md").read_text()
    assert "## Approvals: 1" in text and "- a1 pending core: bench/t.py::x, 4 -> 6 points" in text
    assert "## Tickets: 1" in text and "- t1 open: bench/t.py::y (speed), cycle 7" in text


def test_no_history_says_so_and_writes_nothing(tmp_path: Path) -> None:
    target, db = tmp_path / "empty-project", tmp_path / "ckpt" / "ryx.sqlite"
    target.mkdir()
    (target / "README").write_text("nothing scored yet\n")
    _git(target, "init", "-q")
    _git(target, "add", "-A")
    _git(target, "commit", "-qm", "init")
    with open_database(db):
        pass
    done = _report(target, db)
    assert done.returncode == 0, done.stderr
    assert "no scorecard stored for" in done.stdout and "ryx benchmark --target" in done.stdout
    assert not list(db.parent.glob("report-*"))


def test_a_database_that_does_not_exist_is_named_not_created(tmp_path: Path, scored) -> None:
    target, _ = _history(tmp_path, scored)
    missing = tmp_path / "nowhere" / "ryx.sqlite"
    done = _report(target, missing)
    assert done.returncode == 2
    assert f"no checkpoint database at {missing}" in done.stderr
    assert not missing.exists()


def test_the_chart_title_counts_runs_in_english() -> None:
    from graph.report import chart_title

    assert chart_title("proj", 1) == "Ryx points per category: proj  (1 stored run)"
    assert chart_title("proj", 3).endswith("(3 stored runs)")

