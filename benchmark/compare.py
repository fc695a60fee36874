"""Before/after comparison on the baseline's exact set of tests, in points.

A baseline test that is missing, skipped, deselected or xfailed afterwards counts as failed;
tests the candidate adds earn nothing (they are listed as `proposed`); a baseline test's worth
is the baseline's, whatever the candidate's marker says. Any gain counts; a regression never
lands.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from benchmark.scorecard import Scorecard

_LISTED = 3  # ids named in a reason before "and N more"


@dataclass(frozen=True)
class Comparison:
    improved: bool
    before_points: int
    after_points: int
    gained: tuple[str, ...]
    regressions: tuple[str, ...]
    missing: tuple[str, ...]
    proposed: tuple[str, ...]
    reason: str


def compare(before: Scorecard, after: Scorecard, *,
            quarantined: Collection[str] = ()) -> Comparison:
    """Is `after` better than `before`? `quarantined` (flaky) ids are left out of both sides."""
    ids = [tid for tid in before.tests if tid not in quarantined]
    passed_before, passed_after = before.passed_ids(), after.passed_ids()
    before_points = sum(before.tests[tid].earned for tid in ids)
    after_points = sum(before.tests[tid].points for tid in ids if tid in passed_after)
    gained = tuple(t for t in ids if t in passed_after and t not in passed_before)
    regressions = tuple(t for t in ids if t in passed_before and t not in passed_after)
    missing = tuple(t for t in ids if t not in after.tests)
    proposed = tuple(t for t in after.tests if t not in before.tests)
    hash_changed = bool(before.benchmark_hash and after.benchmark_hash
                        and before.benchmark_hash != after.benchmark_hash)
    improved = after_points > before_points and not regressions and not hash_changed
    reason = _reason(before, after, before_points, after_points, gained, regressions,
                     hash_changed, proposed)
    return Comparison(improved, before_points, after_points, gained, regressions, missing,
                      proposed, reason)


def _reason(before: Scorecard, after: Scorecard, before_points: int, after_points: int,
            gained: Sequence[str], regressions: Sequence[str], hash_changed: bool,
            proposed: Sequence[str]) -> str:
    if hash_changed:
        return ("rejected: the benchmark files changed (hash "
                f"{before.benchmark_hash[:12]} -> {after.benchmark_hash[:12]}); "
                "a candidate may not edit the benchmark")
    if regressions:
        how = "; ".join(_lost(tid, after) for tid in regressions[:_LISTED])
        return f"rejected: {how}{_more(regressions)} ({before_points} -> {after_points} points)"
    extra = f"; new tests earn nothing: {_names(proposed)}" if proposed else ""
    if after_points > before_points:
        return f"{before_points} -> {after_points} points; gained {_names(gained)}{extra}"
    return f"rejected: {before_points} -> {after_points} points, no benchmark test gained{extra}"


def _lost(test_id: str, after: Scorecard) -> str:
    result = after.tests.get(test_id)
    if result is None:
        return f"{test_id} passed before and is missing now"
    verb = {"failed": "fails", "error": "errors", "timeout": "times out"}.get(
        result.outcome, f"is {result.outcome}")
    return f"{test_id} passed before and {verb} now"


def _names(ids: Sequence[str]) -> str:
    return ", ".join(ids[:_LISTED]) + _more(ids)


def _more(ids: Sequence[str]) -> str:
    return f" and {len(ids) - _LISTED} more" if len(ids) > _LISTED else ""
