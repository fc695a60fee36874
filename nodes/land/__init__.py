"""land: commit the verified candidate on ryx/improve, review it, and record an approval.

Landing never touches the user's branch. Merging into it is `ryx approve ID`, or "y" to the
question an interactive run asks; with --auto, a change that touches only safe paths is
merged at once when the user's working tree is clean, unless its review flags it. The
reasoning model writes that review (what changed, why it earns the points, anything
suspicious) for the person who decides; it is stored with the approval.
"""

from __future__ import annotations

from fnmatch import fnmatch

from langgraph.runtime import Runtime
from langgraph.types import interrupt

from benchmark.screen import special_cases
from nodes.support import ask, load_prompt, memory, render, services
from ryx.approvals import merge_approval, record_approval
from ryx.errors import RyxError
from state import RyxState
from state.context import Context


def land(state: RyxState, runtime: Runtime[Context]) -> dict:
    svc = services(runtime)
    cand, weakness = state["accepted"], state["weakness"]
    last = state["attempts"][-1]
    before, after = last["points_before"], last["points_after"]
    dropped = cand.get("dropped") or []
    message = (f"ryx: {weakness['test_id']} passes ({before} -> {after} points)\n\n"
               f"Points: {before} -> {after} (+{after - before})\n"
               f"Category: {weakness['category']}\nChanged: {cand['summary']}"
               + (f"\nDropped (earned nothing): {'; '.join(dropped)}" if dropped else ""))
    try:
        sha = svc.workspace.commit(cand["diff"], message, cand["id"], base=state["base_commit"],
                                   tree=cand.get("tree", ""))
    except RyxError as exc:
        return {"accepted": None, "outcome": {"kind": "refused", "summary": f"not landed: {exc}",
                                              "commit": None}}
    safe = all(any(fnmatch(p, g) for g in svc.config.safe) for p in cand["paths"])
    mem = memory(runtime, svc)
    approval = mem.get("approvals", sha[:10]) or record_approval(
        mem, sha, cand["paths"], "safe" if safe else "core", weakness["test_id"], before, after,
        auto=False, tree=cand.get("tree", ""), review=review(svc, weakness, cand, before, after))
    if approval["status"] == "pending" and svc.ctx.auto and safe and not approval["review"]["flagged"]:
        approval = {**approval, "status": "approved"}
        mem.put("approvals", approval["id"], approval)
    not_merged = ""
    if approval["status"] == "pending" and svc.ctx.interactive:
        answer = interrupt({"kind": "merge", "id": approval["id"], "question":
                            f"Improvement {approval['id']} ({before} -> {after} points, {cand['summary']}) "
                            f"is on ryx/improve.\nReview{' (FLAGGED)' if approval['review']['flagged'] else ''}: "
                            f"{approval['review']['text']}\nMerge it into your branch now? [y/N]"})
        if str(answer).strip().lower() in ("y", "yes"):
            approval, not_merged = _merge(mem, svc.root, approval)
    elif approval["status"] == "approved":
        approval = merge_approval(mem, svc.root, approval["id"], only_if_clean=True)
    flag = ", review flags it" if approval["review"]["flagged"] else ""
    summary = f"landed {sha[:10]} on ryx/improve: {before} -> {after} points ({approval['status']}{flag})"
    if not_merged:
        summary += f"; not merged into your branch: {not_merged}"
    return {"accepted": None, "outcome": {"kind": "landed", "summary": summary, "commit": sha}}


def _merge(mem, root, approval: dict) -> tuple[dict, str]:
    """The merge the person said yes to; when it cannot happen (their uncommitted edits in a
    file it changes, say), the approval stays pending and the reason says what to do."""
    try:
        return merge_approval(mem, root, approval["id"]), ""
    except RyxError as exc:
        return approval, f"{exc} (`ryx approve {approval['id']}` merges it later)"


def review(svc, weakness: dict, cand: dict, before: int, after: int) -> dict:
    """The reasoning model's one-paragraph review; flagged unless it ends `VERDICT: OK`."""
    text = ask(svc, "reasoning", load_prompt(__file__, "review_system.md"),
               render(load_prompt(__file__, "review_user.md"), test_id=weakness["test_id"],
                      test_source=weakness["test_source"], before=before, after=after,
                      diff=cand["diff"][:6000], dropped="; ".join(cand.get("dropped") or []) or "none"))
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    verdict = next((ln for ln in reversed(lines) if ln.upper().startswith("VERDICT:")), "")
    body = " ".join(ln for ln in lines if not ln.upper().startswith("VERDICT:"))
    flagged = verdict.upper().replace(" ", "") != "VERDICT:OK"
    cases = special_cases(cand["diff"], weakness["test_source"])
    if cases:  # whatever the model thought of it
        body = f"It may special-case the test's inputs: {'; '.join(cases[:3])}. {body}"
        flagged, verdict = True, f"{verdict or 'VERDICT: (none)'}; flagged: special-cases the test's values"
    return {"text": body[:1500] or "(the model wrote no review)", "flagged": flagged,
            "verdict": verdict or "(none given: treated as flagged)"}
