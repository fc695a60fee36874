"""verify: score the candidate and keep it only if points rose and nothing that passed fails.

Compared on the baseline's exact test ids; a gain is confirmed by re-running the tests that
changed (benchmark.confirm_runs times) so that a flaky pass never lands, and once more by
plain pytest without Ryx's harness, so that code that detects the benchmark loses its gain.
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from benchmark.compare import compare
from benchmark.confirm import confirm_plain
from benchmark.runner import BenchmarkError, python_of, run_benchmark
from benchmark.scorecard import Scorecard
from nodes.support import memory, services, skills
from ryx.benchspec import env_key
from ryx.gitsafe import GitTimeout
from state import Attempt, RyxState
from state.context import Context


def verify(state: RyxState, runtime: Runtime[Context]) -> dict:
    svc = services(runtime)
    cand, weakness = state["candidate"], state["weakness"]
    ws, spec, mem = svc.workspace, svc.config.benchmark, memory(runtime, svc)
    ws.apply(cand["diff"])
    before = Scorecard.from_json(state["baseline"])
    try:
        with svc.meter.timing("benchmark"):
            after = run_benchmark(ws.path, spec, config_from_head=True, label="the candidate")
    except (BenchmarkError, GitTimeout) as exc:
        ws.check_present()
        return _broken(state, cand, mem, ws, f"rejected: the benchmark could not run on it: {exc}")
    quarantined = set(mem.all("quarantine"))
    result = compare(before, after, quarantined=quarantined)
    with svc.meter.timing("benchmark"):
        ws.check_present()
        flaky = _flaky(ws, spec, after, (*result.gained, *result.regressions)) if result.gained else set()
    if flaky:
        _quarantine(mem, flaky, state.get("cycle"))
        result = compare(before, after, quarantined=quarantined | flaky)
    reason = result.reason + (f"; quarantined as flaky: {', '.join(sorted(flaky))}" if flaky else "")
    improved = result.improved
    if improved:
        with svc.meter.timing("benchmark"):
            improved, reason = _confirmed(ws, spec, result, reason)
    if improved:  # it becomes the next cycle's baseline: scored once, not twice
        mem.save_scorecard(after.to_json(), env_key(spec), state.get("cycle"))
    else:
        reason += _feedback(skills(svc, state), after, weakness["test_id"])
        mem.remember_failed_patch(weakness["test_id"], cand["id"], reason[:2000], diff=cand["diff"],
                                  approach=cand["approach"], cycle=state.get("cycle"))
        ws.reset()
    attempt = Attempt(approach=cand["approach"], attempt=cand["attempt"], candidate_id=cand["id"],
                      status="improved" if improved else "failed", reason=reason,
                      points_before=result.before_points, points_after=result.after_points)
    accepted = {**cand, "tree": after.tree} if improved else None
    return {"candidate": None, "accepted": accepted, "attempts": [attempt]}


def _confirmed(ws, spec, result, reason: str) -> tuple[bool, str]:
    """Plain pytest, in a sandbox of its own, must pass the gained tests too."""
    try:
        check = confirm_plain(ws.path, spec, result.gained, python_of(ws.path, spec))
    except (BenchmarkError, GitTimeout) as exc:
        ws.check_present()
        return False, f"rejected: the plain-pytest confirmation could not run: {exc}"
    if not check.confirmed:
        return False, (f"rejected: {result.before_points} -> {result.after_points} points under "
                       f"Ryx's harness, but {check.reason}")
    return True, f"{reason}; {check.reason}"


def _broken(state: RyxState, cand, mem, ws, reason: str) -> dict:
    """A candidate that breaks collection or imports: a failed attempt, its error fed back."""
    mem.remember_failed_patch(state["weakness"]["test_id"], cand["id"], reason[:2000], diff=cand["diff"],
                              approach=cand["approach"], cycle=state.get("cycle"))
    ws.reset()
    points = state["baseline"]["total"]
    attempt = Attempt(approach=cand["approach"], attempt=cand["attempt"], candidate_id=cand["id"],
                      status="failed", reason=reason, points_before=points, points_after=None)
    return {"candidate": None, "accepted": None, "attempts": [attempt]}


def _flaky(ws, spec, after: Scorecard, changed: tuple[str, ...]) -> set[str]:
    """Tests whose outcome flips when re-run on this same tree (benchmark.confirm_runs times)."""
    flips: set[str] = set()
    for _ in range(spec.confirm_runs):
        rerun = run_benchmark(ws.path, spec, only=list(changed), config_from_head=True,
                              label="the candidate")
        flips |= {t for t in changed if t not in rerun.tests or rerun.tests[t].outcome != after.tests[t].outcome}
    return flips


def _quarantine(mem, flaky: set[str], cycle: int | None) -> None:
    """Flaky tests are left out of both sides of every later comparison, and reported."""
    for test_id in flaky:
        mem.put("quarantine", test_id, {"reason": "its outcome flipped on an unchanged tree", "cycle": cycle})


def _feedback(tools, after: Scorecard, test_id: str) -> str:
    text, _ = tools.feedback(getattr(after, "output", "") or "", test_id, limit_chars=1200)
    return f"\n{text}" if text else ""
