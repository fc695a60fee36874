"""rethink (approach 3): read the benchmark test's own code and every failure, plan afresh."""

from __future__ import annotations

from langgraph.runtime import Runtime

from nodes.support import ask, format_attempts, guidance, load_prompt, render, services
from state import Evidence, Research, RyxState
from state.context import Context

AHEAD = ("(none yet: this plan is written ahead, for when two other plans have failed; "
         "the coding model will see each failure as it comes)")


def rethink(state: RyxState, runtime: Runtime[Context]) -> dict:
    planned = (state.get("planned") or {}).get("rethink")  # written ahead, beside the local plan
    if planned:
        return {"research": planned}
    carried = (state.get("research") or {}).get("evidence") or []  # what the earlier approaches found
    return {"research": rethink_plan(services(runtime), runtime, state, carried)}


def rethink_plan(svc, runtime, state: RyxState, carried: list[Evidence], *, ahead: bool = False) -> Research:
    weakness = state["weakness"]
    attempts = AHEAD if ahead else format_attempts(state.get("attempts") or [], detail=True)
    plan = ask(svc, "reasoning", load_prompt(__file__, "system_ahead.md" if ahead else "system.md"),
               render(load_prompt(__file__, "user.md"), **weakness, attempts=attempts,
                      notes=guidance(runtime, svc, weakness["test_id"])))
    return Research(approach=3, kind="rethink", status="ok, planned ahead" if ahead else "ok", plan=plan,
                    sources=[], evidence=carried)
