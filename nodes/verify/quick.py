"""The cheap questions verify asks before the full benchmark: does the weakness pass now, and
do the tests near the change still pass? And the smallest part of the candidate that keeps it so.

"Near the change": the baseline's tests whose file names a module the candidate changed
(`calc` for `pkg/calc.py`), as long as they are few; the weakness's test always.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from benchmark.hunks import Part, join_parts, split_diff
from benchmark.reduce import ddmin
from benchmark.runner import BenchmarkError, run_benchmark
from benchmark.scorecard import Scorecard
from ryx.benchspec import BenchSpec
from ryx.gitops import Workspace

NEAR_SHARE = 0.25  # at most this share of the benchmark's tests runs in a quick check...
NEAR_FEW = 8  # ...or this many, whichever is more
REDUCE_BUDGET = 16  # quick checks the reduction may ask at most


@dataclass(frozen=True)
class Quick:
    """What a quick check found: None where all is well, else the reason to reject."""

    card: Scorecard | None
    reason: str | None


def near_tests(before: Scorecard, root: Path, changed: list[str], weakness: str) -> list[str]:
    """The weakness's test, then the baseline tests whose file names a changed module."""
    modules = {name for path in changed for name in _module_names(path)}
    files = {tid.split("::", 1)[0] for tid in before.tests}
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(modules))) + r")\b") if modules else None
    naming = {f for f in files if pattern and _reads(root / f, pattern)}
    near = [tid for tid in before.tests if tid.split("::", 1)[0] in naming and tid != weakness]
    if len(near) > max(NEAR_SHARE * len(before.tests), NEAR_FEW):
        near = []
    return [weakness, *near]


def _module_names(path: str) -> set[str]:
    pure = PurePosixPath(path)
    if pure.suffix != ".py":
        return set()
    parts = [*pure.parent.parts, pure.stem] if pure.stem != "__init__" else list(pure.parent.parts)
    return {parts[-1], ".".join(parts)} if parts else set()


def _reads(path: Path, pattern: re.Pattern[str]) -> bool:
    try:
        return bool(pattern.search(path.read_text(encoding="utf-8", errors="replace")))
    except OSError:
        return False


def quick_check(ws: Workspace, spec: BenchSpec, before: Scorecard, tests: list[str]) -> Quick:
    """Run only `tests` on the worktree as it is; the weakness (first) must pass, and none of
    the others that passed before may fail."""
    try:
        card = run_benchmark(ws.path, spec, only=tests, config_from_head=True, label="the candidate")
    except BenchmarkError as exc:
        ws.check_present()
        return Quick(None, f"rejected: the benchmark could not run on it: {exc}")
    weakness, outcome = tests[0], card.tests.get(tests[0])
    note = f"quick check of {len(tests)} test(s); the full benchmark was not run"
    if outcome is None or outcome.outcome != "passed":
        state = outcome.outcome if outcome else "missing"
        return Quick(card, f"rejected: no benchmark test gained: {weakness} is still {state} ({note})")
    broken = [t for t in tests[1:] if before.tests[t].outcome == "passed"
              and (t not in card.tests or card.tests[t].outcome != "passed")]
    if broken:
        return Quick(card, f"rejected: {', '.join(broken[:3])} passed before and fails now ({note})")
    return Quick(card, None)


def smallest(ws: Workspace, spec: BenchSpec, before: Scorecard, diff: str, tests: list[str]) -> tuple[str, list[Part]]:
    """The candidate cut down to the parts the quick check still needs (diff, parts dropped)."""
    parts = split_diff(diff)
    if len(parts) < 2:
        return diff, []

    def still_earns(subset: list[Part]) -> bool:
        ws.apply(join_parts(subset))
        return quick_check(ws, spec, before, tests).reason is None

    reduced = ddmin(parts, still_earns, budget=REDUCE_BUDGET)
    if not reduced.dropped:
        return diff, []
    return join_parts(reduced.kept), reduced.dropped
