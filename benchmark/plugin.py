"""The points plugin for pytest: `@pytest.mark.points(N, category="edit_success")`.

Self-contained on purpose (stdlib and pytest only): the runner loads this file by path under
a private module name, so a target whose own package is called `benchmark` cannot shadow it.

Options: `--ryx-report=PATH` streams the results to PATH as JSON lines while the run goes
(`{"collected": {nodeid: {"value", "category"}}}` once, `{"test": nodeid, "outcome",
"duration_s"}` per finished test, `{"finished": {"exitstatus", "duration_s"}}` at the end), so
a killed run still tells what ran; PATH may be a pipe (`/dev/fd/N`). `--ryx-test-timeout=SECONDS`
fails a test that runs longer with outcome "timeout" (SIGALRM, main thread; setup and call
share the budget, teardown gets its own). `--ryx-all-tests` counts unmarked tests 1 point each,
category = their file; without it unmarked tests are deselected. `--ryx-canary=FILE` adds the
tests of FILE to the run, worth 0 points: the harness knows how each must end, so a run whose
report says otherwise was tampered with.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Generator
from dataclasses import asdict, dataclass, replace
from typing import Any

import pytest

OUTCOME_RANK = ("passed", "xpassed", "skipped", "xfailed", "failed", "error", "timeout")
CANARY_CATEGORY = "canary"


@dataclass(frozen=True)
class Points:
    """What a test is worth, read from its marker."""

    value: int
    category: str


@dataclass(frozen=True)
class Outcome:
    """How one test ended so far (updated phase by phase)."""

    outcome: str = "passed"
    duration_s: float = 0.0


class TestTimeout(BaseException):
    """Raised by SIGALRM inside a test that ran past --ryx-test-timeout."""

    __test__ = False


points_key = pytest.StashKey[Points]()
outcome_key = pytest.StashKey[Outcome]()
deadline_key = pytest.StashKey[float]()


@dataclass
class _Run:
    """Session-wide state of the plugin (kept in config.stash)."""

    stream: Any  # the open report (a file or a pipe), or None
    started: float
    collected: dict[str, Points]
    results: dict[str, Outcome]
    canary: str | None = None


run_key = pytest.StashKey[_Run]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ryx", "Ryx points benchmark")
    group.addoption("--ryx-report", metavar="PATH", default=None,
                    help="stream the points results to PATH as JSON lines")
    group.addoption("--ryx-test-timeout", metavar="SECONDS", type=float, default=None,
                    help="fail a test that runs longer than SECONDS (outcome 'timeout')")
    group.addoption("--ryx-all-tests", action="store_true", default=False,
                    help="count unmarked tests 1 point each, category = their file")
    group.addoption("--ryx-canary", metavar="FILE", default=None,
                    help="also run the tests of FILE, worth 0 points (the harness's check tests)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "points(n, category): the whole number of points a benchmark test is worth, "
        "and its category (e.g. points(3, category='edit_success'))",
    )
    timeout = config.getoption("--ryx-test-timeout")
    if timeout is not None and (timeout <= 0 or not hasattr(signal, "setitimer")):
        raise pytest.UsageError(
            f"--ryx-test-timeout={timeout}: needs a positive number of seconds on a platform "
            "with signal.setitimer (POSIX)."
        )
    report = config.getoption("--ryx-report")
    stream = open(report, "w", encoding="utf-8", buffering=1) if report else None
    canary = config.getoption("--ryx-canary")
    config.stash[run_key] = _Run(stream, time.monotonic(), {}, {}, canary)
    if canary and canary not in config.args:
        config.args.append(canary)


def points_of(item: pytest.Item) -> Points | None:
    """The points marker of `item`, or None; ValueError when the marker is malformed."""
    mark = item.get_closest_marker("points")
    if mark is None:
        return None
    args, kwargs = list(mark.args), dict(mark.kwargs)
    value = kwargs.pop("n") if "n" in kwargs else (args.pop(0) if args else None)
    category = kwargs.pop("category") if "category" in kwargs else (args.pop(0) if args else None)
    if args or kwargs:
        raise ValueError(f"unexpected arguments {args or ''}{kwargs or ''}")
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"points must be a whole number >= 0, got {value!r}")
    if not isinstance(category, str) or not category.strip():
        raise ValueError(f"category must be a non-empty string, got {category!r}")
    return Points(value, category)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    all_tests = config.getoption("--ryx-all-tests")
    canary = config.stash[run_key].canary
    kept, dropped, errors = [], [], []
    for item in items:
        try:
            points = Points(0, CANARY_CATEGORY) if _in_file(item, canary) else points_of(item)
        except ValueError as exc:
            errors.append(f"  {item.nodeid}: {exc}")
            continue
        if points is None and all_tests:
            points = Points(1, item.nodeid.split("::", 1)[0])
        if points is None:
            dropped.append(item)
            continue
        item.stash[points_key] = points
        kept.append(item)
    if errors:
        raise pytest.UsageError(
            "bad @pytest.mark.points marker (use points(N, category='name'), N a whole "
            "number >= 0):\n" + "\n".join(errors)
        )
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def _in_file(item: pytest.Item, path: str | None) -> bool:
    return path is not None and os.path.abspath(str(item.path)) == os.path.abspath(path)


def pytest_collection_finish(session: pytest.Session) -> None:
    run = session.config.stash[run_key]
    run.collected = {item.nodeid: item.stash[points_key] for item in session.items
                     if points_key in item.stash}
    _emit(run, {"collected": {nodeid: asdict(p) for nodeid, p in run.collected.items()}})


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    timeout = item.config.getoption("--ryx-test-timeout")
    if timeout:
        item.stash[deadline_key] = time.monotonic() + timeout
    try:
        return (yield)
    finally:
        _finish_item(item)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    with _Alarm(item, item.stash.get(deadline_key, None)):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    with _Alarm(item, item.stash.get(deadline_key, None)):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    timeout = item.config.getoption("--ryx-test-timeout")
    with _Alarm(item, time.monotonic() + timeout if timeout else None):
        return (yield)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    rep = yield
    if points_key in item.stash:
        timed_out = call.excinfo is not None and call.excinfo.errisinstance(TestTimeout)
        phase = "timeout" if timed_out else _phase_outcome(rep)
        before = item.stash.get(outcome_key, Outcome())
        worst = max(before.outcome, phase, key=OUTCOME_RANK.index)
        item.stash[outcome_key] = replace(
            before, outcome=worst, duration_s=before.duration_s + rep.duration
        )
    return rep


def _phase_outcome(rep: pytest.TestReport) -> str:
    xfail = hasattr(rep, "wasxfail")
    if rep.passed:
        return "xpassed" if xfail and rep.when == "call" else "passed"
    if rep.skipped:
        return "xfailed" if xfail else "skipped"
    return "failed" if rep.when == "call" else "error"


def _finish_item(item: pytest.Item) -> None:
    run = item.config.stash[run_key]
    if points_key not in item.stash:
        return
    result = item.stash.get(outcome_key, Outcome(outcome="error"))
    run.results[item.nodeid] = result
    _emit(run, {"test": item.nodeid, **asdict(result)})


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = session.config.stash.get(run_key, None)
    if run is None or run.stream is None:
        return
    _emit(run, {"finished": {"exitstatus": int(exitstatus),
                             "duration_s": round(time.monotonic() - run.started, 4)}})
    run.stream.close()
    run.stream = None


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    run = config.stash.get(run_key, None)
    if not run or not run.collected:
        return
    earned = sum(p.value for nodeid, p in run.collected.items()
                 if (r := run.results.get(nodeid)) and r.outcome == "passed")
    total = sum(p.value for p in run.collected.values())
    terminalreporter.write_line(f"ryx points: {earned}/{total}")


class _Alarm:
    """Arm SIGALRM to raise TestTimeout at `deadline` (monotonic) while the block runs."""

    def __init__(self, item: pytest.Item, deadline: float | None) -> None:
        usable = threading.current_thread() is threading.main_thread()
        self.deadline = deadline if usable else None
        self.item = item
        self.previous: Any = None

    def __enter__(self) -> None:
        if self.deadline is None:
            return
        self.previous = signal.signal(signal.SIGALRM, self._fire)
        signal.setitimer(signal.ITIMER_REAL, max(self.deadline - time.monotonic(), 0.001))

    def __exit__(self, *exc: object) -> None:
        if self.deadline is None:
            return
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.previous)

    def _fire(self, signum: int, frame: object) -> None:
        timeout = self.item.config.getoption("--ryx-test-timeout")
        raise TestTimeout(f"{self.item.nodeid} ran longer than --ryx-test-timeout={timeout}s")


def _emit(run: _Run, record: dict[str, Any]) -> None:
    """One JSON line on the report stream (a line is written whole, then flushed)."""
    if run.stream is not None:
        run.stream.write(json.dumps(record) + "\n")
        run.stream.flush()
