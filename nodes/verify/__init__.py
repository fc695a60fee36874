"""verify: keep a candidate only if points rose and nothing that passed fails, and keep only
the part of it that earns them.

1. Fail fast: the weakness's test and the tests near the change run first; a candidate that
   does not make the weakness pass, or breaks a test near it, is rejected without the full run.
2. Land only what earns: the candidate is cut down (ddmin over its hunks, the quick check as
   the oracle) to the smallest part that still passes it; what was dropped is named.
3. Never worse code: the cut-down candidate may not add lint findings or drop docstrings.
4. The full benchmark on the baseline's exact test ids is the only way in; a gain is confirmed
   by re-running the tests that changed (a flaky pass never lands) and once more by plain
   pytest without Ryx's harness (code that detects the benchmark loses its gain).
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from benchmark.compare import compare
from benchmark.confirm import confirm_plain
from benchmark.runner import BenchmarkError, python_of, run_benchmark
from benchmark.scorecard import Scorecard
from nodes.support import memory, services, skills
from nodes.verify.quality import quality_problem
from nodes.verify.quick import near_tests, quick_check, smallest
from ryx.benchspec import env_key
from ryx.gitsafe import GitTimeout
from state import Attempt, RyxState
from state.context import Context


def verify(state: RyxState, runtime: Runtime[Context]) -> dict:
    """The candidate, then (when the patch node screened several) the other survivors in turn,
    until one is accepted; the attempt failed only when none was."""
    svc = services(runtime)
    cand, mem = state["candidate"], memory(runtime, svc)
    options = [cand, *({**cand, **alt} for alt in cand.get("alternates") or [])]
    before = Scorecard.from_json(state["baseline"])
    results = []
    for option in options:
        result = _verify_one(svc, state, mem, before, option)
        if result.get("accepted"):
            return result
        results.append(result)
    return _all_failed(results)


def _all_failed(results: list[dict]) -> dict:
    """The first survivor's failure stands for the attempt, with how many others failed too."""
    result = results[0]
    attempt = dict(result["attempts"][-1])
    if len(results) > 1:
        attempt["reason"] += f" (and {len(results) - 1} other survivor(s) of this batch failed as well)"
    return {**result, "attempts": [attempt]}


def _verify_one(svc, state: RyxState, mem, before: Scorecard, cand: dict) -> dict:
    weakness = state["weakness"]
    ws, spec = svc.workspace, svc.config.benchmark
    tests = near_tests(before, ws.path, cand["paths"], weakness["test_id"])
    ws.apply(cand["diff"])
    with svc.meter.timing("benchmark"):
        quick = quick_check(ws, spec, before, tests)
        if quick.reason:
            return _rejected(svc, state, mem, cand, quick.reason, quick.card)
        diff, dropped = smallest(ws, spec, before, cand["diff"], tests)
    ws.apply(diff)
    paths = ws.snapshot().paths
    problem = quality_problem(ws, svc.config, paths)
    if problem:
        return _rejected(svc, state, mem, cand, problem + _dropped_note(dropped), None)
    return _score(svc, state, mem, before, cand, {**cand, "diff": diff, "paths": paths}, dropped)


def _score(svc, state: RyxState, mem, before: Scorecard, cand: dict, reduced: dict, dropped: list) -> dict:
    """The full benchmark on the (cut-down) candidate, then the flakiness re-run and the
    plain-pytest confirmation of a gain."""
    ws, spec = svc.workspace, svc.config.benchmark
    try:
        with svc.meter.timing("benchmark"):
            after = run_benchmark(ws.path, spec, config_from_head=True, label="the candidate")
    except (BenchmarkError, GitTimeout) as exc:
        ws.check_present()
        return _rejected(svc, state, mem, cand, f"rejected: the benchmark could not run on it: {exc}", None)
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
    if not improved:
        return _rejected(svc, state, mem, cand, reason, after, points=(result.before_points, result.after_points))
    mem.save_scorecard(after.to_json(), env_key(spec), state.get("cycle"))  # the next baseline
    attempt = Attempt(approach=cand["approach"], attempt=cand["attempt"], candidate_id=cand["id"],
                      status="improved", reason=reason + _dropped_note(dropped),
                      points_before=result.before_points, points_after=result.after_points)
    _record(mem, cand, attempt, reduced["diff"], after)
    accepted = {**{k: v for k, v in reduced.items() if k != "alternates"}, "tree": after.tree, "dropped": [p.describe() for p in dropped],
                "summary": f"{len(reduced['paths'])} file(s): {', '.join(reduced['paths'])}"}
    return {"candidate": None, "accepted": accepted, "attempts": [attempt]}


def _dropped_note(dropped: list) -> str:
    if not dropped:
        return ""
    return f"; dropped {len(dropped)} part(s) that earned nothing: {', '.join(p.describe() for p in dropped[:4])}"


def _rejected(svc, state: RyxState, mem, cand: dict, reason: str, card: Scorecard | None,
              points: tuple[int, int | None] | None = None) -> dict:
    """A failed attempt: remembered with its diff (never re-run), its failure fed back."""
    weakness = state["weakness"]
    if card is not None:
        reason += _feedback(skills(svc, state), card, weakness["test_id"])
    mem.remember_failed_patch(weakness["test_id"], cand["id"], reason[:2000], diff=cand["diff"],
                              approach=cand["approach"], cycle=state.get("cycle"))
    svc.workspace.reset()
    before, after = points or (state["baseline"]["total"], None)
    attempt = Attempt(approach=cand["approach"], attempt=cand["attempt"], candidate_id=cand["id"],
                      status="failed", reason=reason, points_before=before, points_after=after)
    _record(mem, cand, attempt, cand["diff"], card)
    return {"candidate": None, "accepted": None, "attempts": [attempt]}


def _record(mem, cand: dict, attempt: Attempt, diff: str, card: Scorecard | None) -> None:
    """The verdict, the diff scored and the benchmark's output, in the attempt's record."""
    if cand.get("record"):
        attempt["record"] = cand["record"]
        mem.record_attempt(cand["record"], status=attempt["status"], reason=attempt["reason"], diff=diff,
                           candidate=cand["id"], output=(getattr(card, "output", "") or "")[-8000:])


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
