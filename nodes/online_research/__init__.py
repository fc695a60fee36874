"""online_research (approach 2): search the web (ddgs), then plan. Offline is recorded, not fatal."""

from __future__ import annotations

from langgraph.runtime import Runtime

from nodes.support import ask, format_attempts, guidance, load_prompt, render, services
from ryx.web import web_search
from state import Research, RyxState
from state.context import Context


def online_research(state: RyxState, runtime: Runtime[Context]) -> dict:
    svc = services(runtime)
    weakness = state["weakness"]
    enabled = svc.config.online and not svc.ctx.offline
    result = web_search(_query(weakness), enabled=enabled)
    found = "\n\n".join(f"{h.title} <{h.url}>\n{h.snippet}" for h in result.hits)
    found = found or f"(no web results: {result.status}, {result.detail})"
    plan = ask(svc, "reasoning", render(load_prompt(__file__, "system.md")),
               render(load_prompt(__file__, "user.md"), **weakness, found=found,
                      attempts=format_attempts(state.get("attempts") or []),
                      notes=guidance(runtime, svc, weakness["test_id"])))
    research = Research(approach=2, kind="online", status=result.status, plan=plan,
                        sources=[h.url for h in result.hits])
    return {"research": research}


def _query(weakness: dict) -> str:
    """The most specific line of the failure (an exception or assertion), plus 'python'."""
    lines = [ln.strip() for ln in weakness["failure"].splitlines() if ln.strip()]
    key = next((ln for ln in lines if "Error" in ln or ln.startswith("E ")), lines[0] if lines else "")
    return f"python {key.lstrip('E ').strip()[:150]}"
