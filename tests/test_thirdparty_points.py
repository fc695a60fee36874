"""One-point-per-test mode on a real third-party suite: the tests shipped in the PyPI sdist of
tabulate 0.9.0 (vendored packed in tests/data/thirdparty/). Ryx must score exactly what plain
`pytest` passes at the sdist's root, one point per test, category = the test's file."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from benchmark.runner import run_benchmark
from ryx.benchspec import BenchSpec

VENDORED = Path(__file__).parent / "data" / "thirdparty" / "tabulate-0.9.0"
SDIST = VENDORED / "tabulate-0.9.0.tar.gz"
SDIST_SHA256 = "0095b12bf5966de529c0feb1fa08671671b3368eec77d7ef7ab114be2c068b3c"
TEST_FILES = {f"test/test_{name}.py" for name in
              ("api", "cli", "input", "internal", "output", "regression", "textwrapper")}
SUMMARY = re.compile(r"(\d+) (passed|failed|skipped|xfailed|xpassed|errors?|warnings?)\b")


@dataclass(frozen=True)
class PlainRun:
    """What plain pytest reported: counts from its summary line, ids from its -rA lines."""

    counts: dict[str, int]
    passed_ids: frozenset[str]


@pytest.fixture
def sdist_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The unpacked sdist, committed to a fresh git repository (a target as a user has it)."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # the runner passes it through
    data = SDIST.read_bytes()
    assert hashlib.sha256(data).hexdigest() == SDIST_SHA256, (
        f"{SDIST} is not the PyPI sdist of tabulate 0.9.0; restore it from PyPI unmodified.")
    with tarfile.open(SDIST) as archive:
        archive.extractall(tmp_path, filter="data")
    root = tmp_path / "tabulate-0.9.0"
    for args in (["init", "-q"], ["config", "user.name", "T"], ["config", "user.email", "t@x"],
                 ["add", "-A"], ["commit", "-qm", "tabulate 0.9.0 sdist"]):
        subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)
    return root


def _plain_pytest(root: Path, *args: str) -> str:
    """Plain `python -m pytest` at `root`, without Ryx's plugin or any PYTEST_* settings."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("PYTEST_")}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=root, env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode in (0, 1), f"plain pytest exited {proc.returncode}:\n{proc.stdout}"
    return proc.stdout


def _plain_run(root: Path) -> PlainRun:
    lines = _plain_pytest(root, "-rA").splitlines()
    counts = {word.rstrip("s") if word.startswith(("error", "warning")) else word: int(n)
              for n, word in SUMMARY.findall(lines[-1])}
    passed = frozenset(line.split(" ", 1)[1] for line in lines if line.startswith("PASSED "))
    return PlainRun(counts, passed)


def _plain_collected(root: Path) -> set[str]:
    lines = _plain_pytest(root, "--collect-only").splitlines()
    return {line for line in lines if "::" in line}


def test_all_tests_mode_scores_what_plain_pytest_passes(sdist_root: Path) -> None:
    plain = _plain_run(sdist_root)
    collected = _plain_collected(sdist_root)

    card = run_benchmark(sdist_root, BenchSpec(paths=()))

    assert plain.counts["passed"] == len(plain.passed_ids) > 200
    assert plain.counts.get("skipped", 0) > 0  # a mix: skipped tests must earn nothing
    assert card.total == plain.counts["passed"]
    assert card.passed_ids() == plain.passed_ids
    assert set(card.tests) == collected
    assert card.max_points == len(collected) == sum(
        plain.counts.get(k, 0) for k in ("passed", "failed", "skipped", "xfailed", "xpassed"))
    assert set(card.categories) == TEST_FILES
    assert all(result.points == 1 for result in card.tests.values())
    skipped = sum(result.outcome == "skipped" for result in card.tests.values())
    assert skipped == plain.counts.get("skipped", 0)
