"""The points plugin, run in-process with pytester the way the runner loads it: by path."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from benchmark.stream import read_report

pytest_plugins = ["pytester"]

PLUGIN_PATH = Path(__file__).resolve().parents[1] / "benchmark" / "plugin.py"


def _load_plugin() -> ModuleType:
    if "_ryx_points" in sys.modules:
        return sys.modules["_ryx_points"]
    spec = importlib.util.spec_from_file_location("_ryx_points", PLUGIN_PATH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["_ryx_points"] = module
    spec.loader.exec_module(module)
    return module


PLUGIN = _load_plugin()

OUTCOMES_FILE = """
import pytest, time

@pytest.mark.points(2, category="edit_success")
def test_pass():
    pass

@pytest.mark.points(3, category="edit_success")
def test_fail():
    assert 1 == 2

@pytest.fixture
def broken():
    raise RuntimeError("setup broke")

@pytest.mark.points(1, category="file_discovery")
def test_error(broken):
    pass

@pytest.mark.points(1, category="file_discovery")
def test_skip():
    pytest.skip("not today")

@pytest.mark.points(1, category="file_discovery")
@pytest.mark.xfail(reason="known")
def test_xfail():
    assert 0

@pytest.mark.points(5, category="file_discovery")
@pytest.mark.xfail(reason="known")
def test_xpass():
    pass

@pytest.mark.points(4, category="speed")
def test_hangs():
    time.sleep(60)

def test_unmarked():
    pass
"""


def _run(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict]:
    """Run with the plugin; the report stream read back as {"exitstatus", "tests": {...}}."""
    report = pytester.path / "report.jsonl"
    result = pytester.runpytest(f"--ryx-report={report}", *args, plugins=[PLUGIN])
    stream = read_report(report.read_text()) if report.exists() else None
    if stream is None:
        return result, {}
    tests = {}
    for tid, points in stream.collected.items():
        outcome, duration = stream.results.get(tid, ("skipped", 0.0))
        tests[tid] = {"category": points["category"], "points": points["value"],
                      "earned": points["value"] if outcome == "passed" else 0,
                      "outcome": outcome, "duration_s": duration}
    return result, {"exitstatus": (stream.finished or {}).get("exitstatus"), "tests": tests}


def test_points_of_reads_the_marker_off_an_item(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        @pytest.mark.points(3, category="self_healing")
        def test_a(): pass
        @pytest.mark.points(n=0, category="speed")
        def test_b(): pass
        def test_c(): pass
        """
    )
    recorder = pytester.inline_run("--collect-only", plugins=[PLUGIN])
    items = [call.item for call in recorder.getcalls("pytest_itemcollected")]
    by_name = {item.name: PLUGIN.points_of(item) for item in items}
    assert by_name == {"test_a": PLUGIN.Points(3, "self_healing"),
                       "test_b": PLUGIN.Points(0, "speed"), "test_c": None}


def test_every_outcome_is_recorded_with_points_and_durations(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_outcomes=OUTCOMES_FILE)
    result, data = _run(pytester, "--ryx-test-timeout=0.5")
    tests = data["tests"]
    outcomes = {tid.split("::")[1]: t["outcome"] for tid, t in tests.items()}
    assert outcomes == {
        "test_pass": "passed", "test_fail": "failed", "test_error": "error",
        "test_skip": "skipped", "test_xfail": "xfailed", "test_xpass": "xpassed",
        "test_hangs": "timeout",
    }
    assert tests["test_outcomes.py::test_pass"] == {
        "category": "edit_success", "points": 2, "earned": 2, "outcome": "passed",
        "duration_s": tests["test_outcomes.py::test_pass"]["duration_s"],
    }
    assert [t["earned"] for t in tests.values() if t["outcome"] != "passed"] == [0] * 6
    assert 0.4 < tests["test_outcomes.py::test_hangs"]["duration_s"] < 5
    assert data["exitstatus"] == 1
    result.stdout.fnmatch_lines(["*ryx points: 2/17*"])


def test_timeout_leaves_the_next_test_running_normally(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest, time
        @pytest.mark.points(1, category="speed")
        def test_1_hangs(): time.sleep(60)
        @pytest.mark.points(1, category="speed")
        def test_2_after(): time.sleep(0.3)
        """
    )
    _, data = _run(pytester, "--ryx-test-timeout=0.2")
    assert [t["outcome"] for t in data["tests"].values()] == ["timeout", "timeout"]
    _, data = _run(pytester, "--ryx-test-timeout=0.6", "-k", "after")
    assert [t["outcome"] for t in data["tests"].values()] == ["passed"]


def test_unmarked_tests_are_deselected_without_all_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_outcomes=OUTCOMES_FILE)
    result, data = _run(pytester, "-k", "pass or unmarked")
    assert set(data["tests"]) == {"test_outcomes.py::test_pass", "test_outcomes.py::test_xpass"}
    result.assert_outcomes(passed=1, xpassed=1, deselected=6)


def test_all_tests_mode_counts_unmarked_tests_one_point_by_file(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_plain="def test_one(): pass\ndef test_two(): assert False\n",
        test_marked=(
            "import pytest\n"
            "@pytest.mark.points(4, category='speed')\n"
            "def test_fast(): pass\n"
        ),
    )
    _, data = _run(pytester, "--ryx-all-tests")
    assert data["tests"]["test_plain.py::test_one"] == {
        "category": "test_plain.py", "points": 1, "earned": 1, "outcome": "passed",
        "duration_s": data["tests"]["test_plain.py::test_one"]["duration_s"],
    }
    assert data["tests"]["test_plain.py::test_two"]["earned"] == 0
    assert data["tests"]["test_marked.py::test_fast"]["points"] == 4


@pytest.mark.parametrize("marker, complaint", [
    ("points(2.5, category='speed')", "whole number >= 0, got 2.5"),
    ("points(-1, category='speed')", "whole number >= 0, got -1"),
    ("points(True, category='speed')", "whole number >= 0, got True"),
    ("points(2)", "category must be a non-empty string, got None"),
    ("points(2, category='')", "category must be a non-empty string"),
    ("points(2, category='speed', weight=3)", "unexpected arguments"),
])
def test_a_bad_marker_is_an_error_naming_the_test(
    pytester: pytest.Pytester, marker: str, complaint: str
) -> None:
    pytester.makepyfile(f"import pytest\n@pytest.mark.{marker}\ndef test_bad(): pass\n")
    result, data = _run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*bad @pytest.mark.points marker*",
                                 f"*test_a_bad_marker_is_an_error_naming_the_test.py::test_bad: "
                                 f"*{complaint}*"])
    assert data["exitstatus"] == 4 and data["tests"] == {}


def test_journal_lists_collected_tests_and_each_result(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        "import pytest\n@pytest.mark.points(2, category='speed')\ndef test_a(): pass\n"
    )
    _run(pytester)
    lines = [json.loads(line) for line in (pytester.path / "report.jsonl").read_text().splitlines()]
    assert lines[0] == {"collected": {"test_journal_lists_collected_tests_and_each_result.py"
                                      "::test_a": {"value": 2, "category": "speed"}}}
    assert lines[1]["outcome"] == "passed" and lines[2]["finished"]["exitstatus"] == 0
    assert len(lines) == 3


def test_marker_is_registered_with_a_help_line(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers", plugins=[PLUGIN])
    result.stdout.fnmatch_lines(["@pytest.mark.points(n, category): *whole number of points*"])
