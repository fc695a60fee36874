"""The points scorecard: per-test results, totals per category, and its JSON form.

The JSON is the design's contract: `{"total", "max", "categories": {name: {"points", "max"}},
"tests": {test_id: {"category", "points", "earned", "outcome", "duration_s"}}, "tree",
"benchmark_hash", "duration_s"}`. Totals are derived from the tests, never stored twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ryx.errors import RyxError

OUTCOMES = ("passed", "failed", "error", "skipped", "xfailed", "xpassed", "timeout")


class BenchmarkError(RyxError):
    """The benchmark could not be run or scored; the message says how to reproduce it."""


class ScorecardError(BenchmarkError):
    """A scorecard JSON document that does not follow the contract."""


@dataclass(frozen=True)
class TestResult:
    """One benchmark test: what it is worth and how it ended."""

    __test__ = False  # not a pytest test class

    category: str
    points: int
    outcome: str
    duration_s: float = 0.0

    @property
    def earned(self) -> int:
        return self.points if self.outcome == "passed" else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "category": self.category, "points": self.points, "earned": self.earned,
            "outcome": self.outcome, "duration_s": round(self.duration_s, 4),
        }

    @classmethod
    def from_json(cls, test_id: str, raw: Any) -> TestResult:
        where = f"tests[{test_id!r}]"
        if not isinstance(raw, Mapping):
            raise ScorecardError(f"scorecard {where} must be an object, got {raw!r}.")
        result = cls(
            category=_field(raw, "category", str, where),
            points=_field(raw, "points", int, where),
            outcome=_field(raw, "outcome", str, where),
            duration_s=float(_field(raw, "duration_s", (int, float), where, default=0.0)),
        )
        result._check(where, raw.get("earned"))
        return result

    def _check(self, where: str, earned: Any) -> None:
        if self.outcome not in OUTCOMES:
            raise ScorecardError(
                f"scorecard {where}.outcome is {self.outcome!r}; use one of {', '.join(OUTCOMES)}."
            )
        if self.points < 0 or not self.category:
            raise ScorecardError(f"scorecard {where} needs points >= 0 and a non-empty category.")
        if earned is not None and earned != self.earned:
            raise ScorecardError(
                f"scorecard {where}.earned is {earned!r} but a {self.outcome} test worth "
                f"{self.points} earns {self.earned}."
            )


@dataclass(frozen=True)
class CategoryScore:
    points: int
    max_points: int


@dataclass(frozen=True)
class Scorecard:
    """The benchmark of one tree. `output` is the tail of the run's output (not in the JSON)."""

    tests: Mapping[str, TestResult]
    tree: str = ""
    benchmark_hash: str = ""
    duration_s: float = 0.0
    output: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        ordered = {test_id: self.tests[test_id] for test_id in sorted(self.tests)}
        object.__setattr__(self, "tests", MappingProxyType(ordered))

    @property
    def total(self) -> int:
        return sum(result.earned for result in self.tests.values())

    @property
    def max_points(self) -> int:
        return sum(result.points for result in self.tests.values())

    @property
    def categories(self) -> dict[str, CategoryScore]:
        sums: dict[str, tuple[int, int]] = {}
        for result in self.tests.values():
            points, most = sums.get(result.category, (0, 0))
            sums[result.category] = (points + result.earned, most + result.points)
        return {name: CategoryScore(*sums[name]) for name in sorted(sums)}

    def passed_ids(self) -> frozenset[str]:
        return frozenset(tid for tid, result in self.tests.items() if result.outcome == "passed")

    def to_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "max": self.max_points,
            "categories": {
                name: {"points": score.points, "max": score.max_points}
                for name, score in self.categories.items()
            },
            "tests": {tid: result.to_json() for tid, result in self.tests.items()},
            "tree": self.tree,
            "benchmark_hash": self.benchmark_hash,
            "duration_s": round(self.duration_s, 3),
        }

    @classmethod
    def from_json(cls, raw: Any, *, output: str = "") -> Scorecard:
        """Read and check a scorecard document; errors name the missing or bad field."""
        if not isinstance(raw, Mapping):
            raise ScorecardError(f"a scorecard must be a JSON object, got {type(raw).__name__}.")
        tests_raw = _field(raw, "tests", Mapping, "scorecard")
        tests = {str(tid): TestResult.from_json(str(tid), value) for tid, value in tests_raw.items()}
        card = cls(
            tests=tests,
            tree=_field(raw, "tree", str, "scorecard", default=""),
            benchmark_hash=_field(raw, "benchmark_hash", str, "scorecard", default=""),
            duration_s=float(_field(raw, "duration_s", (int, float), "scorecard", default=0.0)),
            output=output,
        )
        _check_totals(card, raw)
        return card

    def render_table(self, previous: Scorecard | None = None) -> str:
        """Points per category (and the change since `previous`), then what does not pass."""
        rows = [(name, score.points, score.max_points) for name, score in self.categories.items()]
        rows.append(("total", self.total, self.max_points))
        before = _points_by_row(previous) if previous is not None else None
        width = max(len(name) for name, _, _ in rows)
        lines = [_row(name, points, most, width, before) for name, points, most in rows]
        failing = [(tid, r) for tid, r in self.tests.items() if r.outcome != "passed"]
        if failing:
            lines.append(f"not passing ({len(failing)}):")
            lines += [f"  {r.outcome:<8} {r.points:>3}  {tid}" for tid, r in failing]
        return "\n".join(lines)


def _row(name: str, points: int, most: int, width: int, before: dict[str, int] | None) -> str:
    line = f"{name:<{width}}  {f'{points}/{most}':>9}"
    if before is None:
        return line
    if name not in before:
        return f"{line}  (new)"
    delta = points - before[name]
    return f"{line}  ({'±0' if delta == 0 else f'{delta:+d}'})"


def _points_by_row(card: Scorecard) -> dict[str, int]:
    rows = {name: score.points for name, score in card.categories.items()}
    rows["total"] = card.total
    return rows


_MISSING = object()


def _field(raw: Mapping[str, Any], name: str, kind: Any, where: str, default: Any = _MISSING) -> Any:
    value = raw.get(name, _MISSING)
    if value is _MISSING:
        if default is not _MISSING:
            return default
        raise ScorecardError(f"{where} has no `{name}` field; the scorecard contract requires it.")
    if isinstance(value, bool) or not isinstance(value, kind):
        kinds = kind if isinstance(kind, tuple) else (kind,)
        names = " or ".join(getattr(k, "__name__", str(k)) for k in kinds)
        raise ScorecardError(f"{where}.{name} must be {names}, got {value!r}.")
    return value


def _check_totals(card: Scorecard, raw: Mapping[str, Any]) -> None:
    expected = card.to_json()
    for name in ("total", "max", "categories"):
        if name in raw and raw[name] != expected[name]:
            raise ScorecardError(
                f"scorecard `{name}` is {raw[name]!r} but its tests add up to {expected[name]!r}."
            )
