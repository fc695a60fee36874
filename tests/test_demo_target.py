"""The demo target keeps exactly its known bugs: the pinned tests fail, the rest pass."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parents[1] / "examples" / "demo_target"

EXPECTED_FAILING = {
    "benchmark/test_money.py::test_add_cents",
    "benchmark/test_parsing.py::test_duplicate_skus_add_up",
    "benchmark/test_parsing.py::test_price_is_exact_to_the_cent",
    "benchmark/test_parsing.py::test_price_with_currency_sign",
    "benchmark/test_pricing.py::test_bulk_discount_starts_at_ten",
    "benchmark/test_reports.py::test_empty_stock_table",
}
EASY_BUG = ("inventory/pricing.py", "if quantity > BULK_MIN_QUANTITY:", "if quantity >= BULK_MIN_QUANTITY:")


def run_pytest(root: Path) -> tuple[set[str], set[str], str]:
    """(failed ids, passed ids, output) of plain pytest -rA at the demo's root."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider"],
        cwd=root, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )
    output = result.stdout + result.stderr
    failed = set(re.findall(r"^(?:FAILED|ERROR) (\S+)", output, re.MULTILINE))
    passed = set(re.findall(r"^PASSED (\S+)", output, re.MULTILINE))
    return failed, passed, output


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    copy = tmp_path / "demo"
    shutil.copytree(DEMO, copy, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    return copy


def test_exactly_the_known_bugs_fail(demo: Path) -> None:
    failed, passed, output = run_pytest(demo)
    assert failed == EXPECTED_FAILING, output
    assert len(passed) == 15, output
    assert len(failed) == 6, output
    assert "warning" not in output.lower(), output  # the points marker is registered


def test_fixing_the_one_line_bug_passes_its_test(demo: Path) -> None:
    path, buggy, fixed = EASY_BUG
    source = (demo / path).read_text()
    assert source.count(buggy) == 1
    (demo / path).write_text(source.replace(buggy, fixed))
    failed, passed, output = run_pytest(demo)
    assert failed == EXPECTED_FAILING - {"benchmark/test_pricing.py::test_bulk_discount_starts_at_ten"}, output
    assert "benchmark/test_pricing.py::test_bulk_discount_starts_at_ten" in passed


def test_demo_has_no_conftest_and_small_modules() -> None:
    assert not list(DEMO.rglob("conftest.py"))
    for module in (DEMO / "inventory").glob("*.py"):
        assert len(module.read_text().splitlines()) < 60, module


def test_the_demo_readme_says_what_pytest_and_the_benchmark_say(demo: Path) -> None:
    failed, passed, _ = run_pytest(demo)
    readme = (DEMO / "README.md").read_text()
    assert f"# {len(failed)} failed, {len(passed)} passed" in readme
    categories = set(re.findall(r'category="(\w+)"', "".join(p.read_text() for p in (demo / "benchmark").glob("*.py"))))
    listed = re.search(r"categories (.+?)\)", readme).group(1)
    assert set(re.findall(r"`(\w+)`", listed)) == categories
