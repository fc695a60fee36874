"""land: commit the verified candidate on ryx/improve and record an approval.

Landing never touches the user's branch. Merging into it is `ryx approve ID`, or "y" to the
question an interactive run asks; with --auto, a change that touches only safe paths is
merged at once when the user's working tree is clean.
"""

from __future__ import annotations

from fnmatch import fnmatch

from langgraph.runtime import Runtime
from langgraph.types import interrupt

from nodes.support import memory, services
from ryx.approvals import merge_approval, record_approval
from ryx.errors import RyxError
from state import RyxState
from state.context import Context


def land(state: RyxState, runtime: Runtime[Context]) -> dict:
    svc = services(runtime)
    cand, weakness = state["accepted"], state["weakness"]
    last = state["attempts"][-1]
    before, after = last["points_before"], last["points_after"]
    message = (f"ryx: {weakness['test_id']} passes ({before} -> {after} points)\n\n"
               f"Points: {before} -> {after} (+{after - before})\n"
               f"Category: {weakness['category']}\nChanged: {cand['summary']}")
    try:
        sha = svc.workspace.commit(cand["diff"], message, cand["id"], base=state["base_commit"],
                                   tree=cand.get("tree", ""))
    except RyxError as exc:
        return {"accepted": None, "outcome": {"kind": "refused", "summary": f"not landed: {exc}",
                                              "commit": None}}
    safe = all(any(fnmatch(p, g) for g in svc.config.safe) for p in cand["paths"])
    mem = memory(runtime, svc)
    approval = record_approval(mem, sha, cand["paths"], "safe" if safe else "core",
                               weakness["test_id"], before, after, auto=svc.ctx.auto and safe,
                               tree=cand.get("tree", ""))
    if approval["status"] == "pending" and svc.ctx.interactive:
        answer = interrupt({"kind": "merge", "id": approval["id"], "question":
                            f"Improvement {approval['id']} ({before} -> {after} points, "
                            f"{cand['summary']}) is on ryx/improve. Merge it into your branch now? [y/N]"})
        if str(answer).strip().lower() in ("y", "yes"):
            approval = merge_approval(mem, svc.root, approval["id"])
    elif approval["status"] == "approved":
        approval = merge_approval(mem, svc.root, approval["id"], only_if_clean=True)
    summary = f"landed {sha[:10]} on ryx/improve: {before} -> {after} points ({approval['status']})"
    return {"accepted": None, "outcome": {"kind": "landed", "summary": summary, "commit": sha}}
