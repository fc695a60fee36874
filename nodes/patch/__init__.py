"""patch: ask the coding model for edits, apply them in the worktree, screen them.

An attempt is one batch of k samples (k per model, `[models] samples`; many for the embedded
model, one or two for a 14B). A sample that does not parse or apply, touches a protected path,
is too large, or repeats another sample or a patch that already failed is dropped unscored;
with several samples, each survivor must also make the weakness's test pass in the sandbox.
The survivors go to verify smallest first; when none is left, the attempt failed and its reason
(with the batch's tally) is what the next prompt carries.
"""

from __future__ import annotations

import hashlib

from git import GitCommandError
from langgraph.runtime import Runtime

from benchmark.protect import protected_violations
from benchmark.runner import python_of
from benchmark.scorecard import Scorecard
from benchmark.screen import reaching_into_the_runner, shadowing
from nodes.patch.batch import Option, Refusal, Tally, best_first, changed_lines, patch_id, seeds, temperatures
from nodes.patch.request import Request, build_request
from nodes.support import ask, memory, services, skills
from nodes.verify.quick import quick_check
from ryx.errors import RyxError
from ryx.models import default_samples
from ryx.sandbox import module_names
from ryx.skillset import SkillsBroken
from state import Attempt, Candidate, RyxState
from state.context import Context
from state.policy import attempt_key, position

__all__ = ["patch", "retry_temperature", "samples_per_attempt"]


def patch(state: RyxState, runtime: Runtime[Context]) -> dict:
    svc = services(runtime)
    weakness, attempts = state["weakness"], state.get("attempts") or []
    approach, attempt = position(attempts)
    request = build_request(svc, runtime, state)
    k = samples_per_attempt(svc)
    temps = temperatures(k, retry_temperature(svc.pool.settings.temperature, len(attempts)))
    keys = seeds(k, weakness["test_id"], state.get("cycle"), approach, attempt)
    replies = [ask(svc, "coding", request.system, request.user, t, seed, request.grammar)
               for t, seed in zip(temps, keys, strict=True)]
    options, tally = _screen_all(svc, runtime, state, request, replies, approach, quick=k > 1)
    svc.workspace.reset()
    batch = tally.line() if k > 1 else None
    record = attempt_key(state.get("cycle"), approach, attempt)
    memory(runtime, svc).record_attempt(record, test_id=weakness["test_id"], cycle=state.get("cycle"),
                                        approach=approach, attempt=attempt, system=request.system[:4000],
                                        prompt=request.user[:20000], replies=[r[:8000] for r in replies],
                                        samples=batch or "1 sample")
    if not options:
        reason = _no_survivor(tally, k)
        memory(runtime, svc).record_attempt(record, status="refused", reason=reason)
        return {"attempts": [{**_failed(approach, attempt, reason, state, batch), "record": record}]}
    first, *rest = best_first(options)
    cand = Candidate(id=first.id, approach=approach, attempt=attempt, diff=first.diff, paths=first.paths,
                     summary=f"{len(first.paths)} file(s): {', '.join(first.paths)}")
    if batch:
        cand["batch"] = batch
    if rest:
        cand["alternates"] = [{"id": o.id, "diff": o.diff, "paths": o.paths} for o in rest]
    cand["record"] = record
    return {"candidate": cand}


def samples_per_attempt(svc) -> int:
    """k for the coding model: `[models] samples` where set, else by the model's size."""
    spec = svc.ctx.coding_model
    return svc.config.samples_for(spec, default_samples(spec))


def retry_temperature(base: float, failures: int) -> float:
    """Each try of an approach samples hotter (base, +0.3, +0.6), so retries are not the same patch."""
    return round(min(1.0, base + 0.3 * (failures % 3)), 2)


def _no_survivor(tally: Tally, k: int) -> str:
    if k == 1:
        return tally.example()
    return f"none of the {k} samples passed the weakness's test ({tally.line()}); e.g. {tally.example()}"


def _screen_all(svc, runtime, state: RyxState, request: Request, replies: list[str], approach: int,
                quick: bool) -> tuple[list[Option], Tally]:
    """Apply each reply in turn; keep the distinct ones that are not refused (and, with `quick`,
    that make the weakness's test pass). Each refusal is remembered, so it is never re-run."""
    test_id, mem, tally = state["weakness"]["test_id"], memory(runtime, svc), Tally()
    tools, before = skills(svc, state), Scorecard.from_json(state["baseline"])
    options: list[Option] = []
    seen: set[str] = set()
    for reply in replies:
        outcome = _apply(svc, tools, request, reply, mem, test_id, seen)
        if isinstance(outcome, Option) and quick:
            outcome = _quick(svc, tools, before, test_id, outcome)
        svc.workspace.reset()
        if isinstance(outcome, Option):
            options.append(outcome)
            tally.add("passed the quick check")
            continue
        tally.add(outcome.ending, outcome.reason)
        if outcome.ending != "duplicate":
            key = outcome.option.id if outcome.option else "r" + hashlib.sha256(
                reply.encode("utf-8", "replace")).hexdigest()[:15]
            mem.remember_failed_patch(test_id, key, outcome.reason[:2000],
                                      diff=outcome.option.diff if outcome.option else "",
                                      approach=approach, cycle=state.get("cycle"))
    return options, tally


def _quick(svc, tools, before: Scorecard, test_id: str, option: Option) -> Option | Refusal:
    """Only the weakness's test, on the applied sample, in the sandbox."""
    with svc.meter.timing("benchmark"):
        check = quick_check(svc.workspace, svc.config.benchmark, before, [test_id])
    if check.reason is None:
        return option
    ending = "broken" if "could not run" in check.reason else "still failing"
    feedback = ""
    if check.card is not None:
        text, _ = tools.feedback(getattr(check.card, "output", "") or "", test_id, limit_chars=800)
        feedback = f"\n{text}" if text else ""
    return Refusal(ending, check.reason + feedback, option)


def _apply(svc, tools, request: Request, reply: str, mem, test_id: str, seen: set[str]) -> Option | Refusal:
    """The applied reply as an Option, or why it was refused.

    Whatever a reply holds (NUL bytes, lone surrogates, paths no file system takes, a git
    command that times out), it ends as a refusal with a reason, never as a crash. Skills
    that crash are not the reply's fault: SkillsBroken goes up to the session."""
    try:
        return _apply_reply(svc, tools, request, reply, mem, test_id, seen)
    except SkillsBroken:
        raise
    except (ValueError, OSError, RyxError, GitCommandError) as exc:
        svc.workspace.check_present()  # a vanished worktree is the loop's fault, not the reply's
        return Refusal("edit did not apply",
                       f"the reply could not be applied ({type(exc).__name__}: {str(exc)[:500]})")


def _apply_reply(svc, tools, request: Request, reply: str, mem, test_id: str, seen: set[str]) -> Option | Refusal:
    ws = svc.workspace
    ws.prepare()
    try:
        edit = request.as_edit(reply)
    except ValueError as exc:
        return Refusal("no edit found", f"the reply could not be used as an edit: {exc}")
    result = tools.edit(ws.path, edit, request.shown)
    if result.edit_error:
        return Refusal("no edit found", f"the reply could not be used as an edit: {result.edit_error}")
    if result.errors:
        unchanged = all("change nothing" in e for e in result.errors)
        return Refusal("unchanged" if unchanged else "edit did not apply",
                       "the edit did not apply: " + "\n".join(result.errors))
    snap = ws.snapshot()
    if not snap.paths:
        return Refusal("unchanged", "the edit changed nothing; the reply repeats the current code")
    refusal = _screen(svc, snap)
    if refusal:
        return Refusal("refused unscored", refusal)
    cid = patch_id(snap.diff)
    if cid in seen:
        return Refusal("duplicate", "the same patch as another sample of this attempt")
    seen.add(cid)
    earlier = mem.failed_patch(test_id, cid)
    if earlier:
        return Refusal("identical to a failed patch", f"identical to a patch that already failed (not re-run): {earlier}")
    return Option(cid, snap.diff, list(snap.paths))


def _screen(svc, snap) -> str | None:
    """Why the staged candidate may not be scored at all, or None."""
    spec = svc.config.benchmark
    violations = protected_violations(snap.paths, spec)
    if violations:
        return "rejected unscored, protected path: " + "; ".join(violations)
    shadows = shadowing(snap.added, module_names(python_of(svc.workspace.path, spec), own="ryx"))
    if shadows:
        return "rejected unscored, it would shadow a module: " + "; ".join(shadows)
    reaching = reaching_into_the_runner(snap.diff)
    if reaching:
        return ("rejected unscored, it reaches into the test runner instead of fixing the code: "
                + "; ".join(reaching[:3]))
    changed = changed_lines(snap.diff)
    if changed > svc.config.max_diff_lines:
        return f"rejected unscored: the diff changes {changed} lines, over the cap of {svc.config.max_diff_lines}"
    return None


def _failed(approach: int, attempt: int, reason: str, state: RyxState, batch: str | None) -> Attempt:
    points = (state.get("baseline") or {}).get("total", 0)
    failed = Attempt(approach=approach, attempt=attempt, candidate_id=None, status="failed",
                     reason=reason, points_before=points, points_after=None)
    if batch:
        failed["batch"] = batch
    return failed
