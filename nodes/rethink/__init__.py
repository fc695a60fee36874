"""rethink (approach 3): read the benchmark test's own code and every failure, plan afresh."""

from __future__ import annotations

from langgraph.runtime import Runtime

from nodes.support import ask, format_attempts, guidance, load_prompt, render, services
from state import Research, RyxState
from state.context import Context


def rethink(state: RyxState, runtime: Runtime[Context]) -> dict:
    svc = services(runtime)
    weakness = state["weakness"]
    plan = ask(svc, "reasoning", load_prompt(__file__, "system.md"),
               render(load_prompt(__file__, "user.md"), **weakness,
                      attempts=format_attempts(state.get("attempts") or [], detail=True),
                      notes=guidance(runtime, svc, weakness["test_id"])))
    carried = (state.get("research") or {}).get("evidence") or []  # what the earlier approaches found
    return {"research": Research(approach=3, kind="rethink", status="ok", plan=plan, sources=[],
                                 evidence=carried)}
