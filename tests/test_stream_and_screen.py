"""The report stream's cross-checks and the static screen, one rule at a time."""

from __future__ import annotations

import json

import pytest

from benchmark.screen import reaching_into_the_runner, shadowing, top_level_module
from benchmark.stream import Canary, ReportTampered, check_canary, read_report

CANARY = Canary(cls="CheckAB12", passing="test_ok1", failing="test_bad1")
OK, BAD = "c1.py::CheckAB12::test_ok1", "c1.py::CheckAB12::test_bad1"
COLLECTED = {"collected": {"t.py::a": {"value": 2, "category": "x"}, OK: {"value": 0, "category": "canary"},
                           BAD: {"value": 0, "category": "canary"}}}


def _lines(*records: object) -> str:
    return "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n"


def _result(test_id: str, outcome: str) -> dict:
    return {"test": test_id, "outcome": outcome, "duration_s": 0.01}


FINISHED = {"finished": {"exitstatus": 1, "duration_s": 0.1}}


def test_an_honest_stream_reads_back_whole() -> None:
    report = read_report(_lines(COLLECTED, _result("t.py::a", "passed"), _result(OK, "passed"),
                                _result(BAD, "failed"), FINISHED))
    check_canary(report, CANARY)
    assert report.results["t.py::a"] == ("passed", 0.01) and report.finished["exitstatus"] == 1


@pytest.mark.parametrize("records, complaint", [
    ((COLLECTED, COLLECTED), "lists the collected tests twice"),
    ((_result("t.py::a", "passed"), COLLECTED), "which was not collected"),
    ((COLLECTED, _result("t.py::a", "failed"), _result("t.py::a", "passed")), "two results for t.py::a"),
    ((COLLECTED, FINISHED, _result("t.py::a", "passed")), "goes on after its final record"),
    ((COLLECTED, "not json", FINISHED), "a line that is not JSON"),
    ((COLLECTED, {"verdict": "all passed"}), "an unknown record"),
    ((COLLECTED, {"test": ["t.py::a"], "outcome": "passed"}), "which was not collected"),
])
def test_a_stream_no_honest_plugin_writes_is_refused(records: tuple, complaint: str) -> None:
    with pytest.raises(ReportTampered, match=complaint):
        read_report(_lines(*records))


def test_a_run_cut_short_may_end_in_half_a_line() -> None:
    report = read_report(_lines(COLLECTED, _result("t.py::a", "passed")) + '{"test": "c1.py::Ch')
    assert report.finished is None and list(report.results) == ["t.py::a"]


@pytest.mark.parametrize("ok, bad, complaint", [
    ("passed", "passed", "always fails was reported as passed"),
    ("failed", "failed", "always passes was reported as failed"),
    (None, "failed", "always passes was reported as not run"),
])
def test_the_canary_must_end_as_it_must(ok, bad, complaint) -> None:
    records = [COLLECTED, _result("t.py::a", "passed"), *([_result(OK, ok)] if ok else []),
               _result(BAD, bad), FINISHED]
    with pytest.raises(ReportTampered, match=complaint):
        check_canary(read_report(_lines(*records)), CANARY)


def test_a_canary_that_never_ran_because_the_run_stopped_early_is_no_forgery() -> None:
    stopped = read_report(_lines(COLLECTED, FINISHED))  # -x / --maxfail stopped before everything
    check_canary(stopped, CANARY)
    everything_else_ran = read_report(_lines(COLLECTED, _result("t.py::a", "failed"), FINISHED))
    with pytest.raises(ReportTampered, match="reported as not run"):
        check_canary(everything_else_ran, CANARY)


def test_a_canary_removed_from_the_collection_is_refused() -> None:
    collected = {"collected": {"t.py::a": {"value": 2, "category": "x"}}}
    with pytest.raises(ReportTampered, match="check tests were not collected"):
        check_canary(read_report(_lines(collected, FINISHED)), CANARY)


def test_scrub_removes_the_canary_from_pytest_output() -> None:
    output = ("____ CheckAB12.test_bad1 ____\nc1.py:9: in test_bad1\nE   AssertionError\n"
              "____ test_add ____\nE   assert 1 == 2\n=== short test summary info ===\n"
              f"FAILED {BAD} - AssertionError\nFAILED t.py::test_add - assert 1 == 2\n")
    scrubbed = CANARY.scrub(output + "2 failed, 1 passed, 1 skipped in 0.05s\n")
    assert "CheckAB12" not in scrubbed and "c1.py" not in scrubbed
    assert "FAILED t.py::test_add - assert 1 == 2" in scrubbed and "assert 1 == 2" in scrubbed
    assert scrubbed.splitlines()[-1] == "1 failed, 1 skipped in 0.05s"


NAMES = frozenset({"pytest", "json", "resource", "requests"})


@pytest.mark.parametrize("path, module", [("json.py", "json"), ("pytest/__init__.py", "pytest"),
                                          ("pkg/json.py", None), ("pkg/__init__.py", "pkg"),
                                          ("README.md", None), ("a/b/__init__.py", None)])
def test_top_level_module(path, module) -> None:
    assert top_level_module(path) == module


def test_shadowing_names_only_new_top_level_modules_of_the_interpreter() -> None:
    assert shadowing(["json.py", "requests/__init__.py", "calc.py", "pkg/json.py"], NAMES) == [
        "json.py: a new top-level module `json` would be imported instead of the installed `json` "
        "(by pytest itself); pick another name",
        "requests/__init__.py: a new top-level module `requests` would be imported instead of the "
        "installed `requests` (by pytest itself); pick another name"]


@pytest.mark.parametrize("line, what", [
    ("import _pytest.runner", "pytest's internals"),
    ("from pluggy import HookimplMarker", "pytest's internals"),
    ("r = _pytest.reports.TestReport", "pytest's internals"),
    ("if '_ryx_points' in sys.modules:", "Ryx's harness"),
    ("os.environ.get('PYTEST_CURRENT_TEST')", "which test is running"),
    ("caller = sys._getframe(1)", "the caller's frames"),
    ("for o in gc.get_objects():", "every object in the process"),
    ("os._exit(0)", "how the process ends"),
    ("atexit.register(rewrite)", "how the process ends"),
    ("import ctypes", "raw memory"),
    ("sys.settrace(spy)", "the interpreter's hooks"),
    ("builtins.open = fake_open", "the builtins"),
    ("signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])", "signal handlers"),
])
def test_lines_that_reach_into_the_runner_are_named(line: str, what: str) -> None:
    diff = f"--- a/calc.py\n+++ b/calc.py\n@@ -1 +1,2 @@\n+{line}\n def add(a, b):\n"
    reasons = reaching_into_the_runner(diff)
    assert reasons and reasons[0].startswith("calc.py: `") and what in reasons[0]


def test_ordinary_fixes_and_removed_lines_pass_the_screen() -> None:
    diff = ("--- a/skills/heal/pytest_output.py\n+++ b/skills/heal/pytest_output.py\n@@ -1,3 +1,3 @@\n"
            "-import ctypes\n+_INTERNAL = ('site-packages/_pytest', 'site-packages/pluggy')\n"
            "+    return sorted(values, key=len)\n")
    assert reaching_into_the_runner(diff) == []
