"""Reading the points plugin's report stream, and refusing one that cannot be trusted.

The stream arrives over a pipe, append-only to Ryx, while the run goes: one `collected`
record, one `test` record per finished test, one `finished` record. Code under test runs in
the same process as the plugin and could write to it too, so the reader checks what an honest
plugin never does: a second `collected` record, a result for a test that was not collected or
a second result for one test, anything after `finished`, a line that is not JSON before the
last one. And the canary: two tests the harness adds, one that passes and one that fails. A
run that patches pytest or the plugin to report passes wholesale reports the failing canary as
passed, and is refused.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from benchmark.scorecard import BenchmarkError


class ReportTampered(BenchmarkError):
    """The run's report contradicts itself or the canary: the code under test forged it."""


@dataclass(frozen=True)
class Canary:
    """The harness's check tests: one must pass, one must fail. Named by class and method,
    since their node id depends on where the file stands relative to pytest's rootdir."""

    cls: str
    passing: str
    failing: str

    def is_canary(self, test_id: str) -> bool:
        return test_id.endswith((f"::{self.cls}::{self.passing}", f"::{self.cls}::{self.failing}"))

    def find(self, test_ids, method: str) -> str | None:
        return next((t for t in test_ids if t.endswith(f"::{self.cls}::{method}")), None)

    def scrub(self, output: str) -> str:
        """pytest's output without the canary's lines and counts (its failure is no news)."""
        kept, skipping = [], False
        for line in output.splitlines():
            if line.startswith(("___", "===")):
                skipping = f" {self.cls}." in line and line.startswith("___")
            if not skipping and f"::{self.cls}::" not in line:
                kept.append(line)
        last = next((n for n in range(len(kept) - 1, -1, -1) if _COUNTS.search(kept[n])), None)
        if last is not None:
            kept[last] = _recount(kept[last])
        return "\n".join(kept)


_COUNTS = re.compile(r"^(?P<pre>=*\s*)(?P<counts>\d+ \w+(?:, \d+ \w+)*)(?P<post> in [\d.]+s.*)$")


def _recount(line: str) -> str:
    """pytest's closing counts less the canary's one pass and one failure."""
    match = _COUNTS.search(line)
    if match is None:
        return line
    counts = []
    for part in match["counts"].split(", "):
        number, word = part.split(" ", 1)
        number = int(number) - (word in ("passed", "failed"))
        if number:
            counts.append(f"{number} {word}")
    return f"{match['pre']}{', '.join(counts) or 'no tests ran'}{match['post']}"


@dataclass
class Report:
    """What the stream said, checked."""

    collected: dict[str, dict[str, Any]] = field(default_factory=dict)
    results: dict[str, tuple[str, float]] = field(default_factory=dict)
    finished: dict[str, Any] | None = None
    seen_collected: bool = False


def read_report(text: str) -> Report:
    """Parse and check the stream; ReportTampered names the first contradiction."""
    report = Report()
    lines = text.split("\n")
    last = max((n for n, line in enumerate(lines) if line.strip()), default=-1)
    for number, line in enumerate(lines):
        if not line.strip():
            continue
        record = _parse(line, number == last)
        if record is not None:
            _take(report, record)
    return report


def _parse(line: str, is_last: bool) -> dict[str, Any] | None:
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        if is_last:  # a killed run may cut its last line short
            return None
        raise ReportTampered(f"the run's report has a line that is not JSON: {line[:120]!r}") from None
    if not isinstance(record, dict) or len(record) == 0:
        raise ReportTampered(f"the run's report has a record that is not an object: {line[:120]!r}")
    return record


def _take(report: Report, record: dict[str, Any]) -> None:
    if report.finished is not None:
        raise ReportTampered("the run's report goes on after its final record")
    if "collected" in record:
        _take_collected(report, record["collected"])
    elif "test" in record:
        _take_result(report, record)
    elif "finished" in record:
        report.finished = record["finished"] if isinstance(record["finished"], dict) else {}
    else:
        raise ReportTampered(f"the run's report has an unknown record: {sorted(record)}")


def _take_collected(report: Report, collected: Any) -> None:
    if report.seen_collected:
        raise ReportTampered("the run's report lists the collected tests twice")
    if not isinstance(collected, dict):
        raise ReportTampered("the run's report lists the collected tests in a wrong form")
    report.seen_collected = True
    report.collected = collected


def _take_result(report: Report, record: dict[str, Any]) -> None:
    test_id = record["test"]
    if not isinstance(test_id, str) or test_id not in report.collected:
        raise ReportTampered(f"the run's report has a result for {test_id!r}, which was not collected")
    if test_id in report.results:
        raise ReportTampered(f"the run's report has two results for {test_id}")
    report.results[test_id] = (str(record.get("outcome")), float(record.get("duration_s", 0.0)))


def check_canary(report: Report, canary: Canary) -> None:
    """ReportTampered unless the canary's two tests were collected and ended as they must."""
    found = {m: canary.find(report.collected, m) for m in (canary.passing, canary.failing)}
    if None in found.values():
        raise ReportTampered(
            "the harness's check tests were not collected; either the code under test removed "
            "them, or the pytest configuration deselects tests (addopts -k/-m, -p no:unittest): "
            "remove that from the benchmark's configuration.")
    others_all_ran = all(t in report.results for t in report.collected if t not in found.values())
    for method, wanted, verb in ((canary.passing, "passed", "passes"), (canary.failing, "failed", "fails")):
        got = report.results.get(found[method], (None, 0.0))[0]
        skipped_by_design = got is None and (report.finished is None or not others_all_ran)  # -x, a kill
        if got is not None and got != wanted or got is None and not skipped_by_design:
            raise ReportTampered(f"the harness's check test that always {verb} was reported as "
                                 f"{got or 'not run'}: the code under test changed how pytest "
                                 "reports outcomes; not counted.")
