"""escalate: after the last failure the policy allows; write a ticket, park the weakness, ask the person for understanding.

The person fixes Ryx's understanding (a note the next prompts carry), never the work. An
interactive run asks now; an unattended run records the ticket and goes on with the rest.
"""

from __future__ import annotations

import hashlib

from langgraph.runtime import Runtime
from langgraph.types import interrupt

from nodes.support import ask, format_attempts, load_prompt, memory, render, services
from state import RyxState
from state.context import Context
from state.policy import MAX_FAILURES


def escalate(state: RyxState, runtime: Runtime[Context]) -> dict:
    svc = services(runtime)
    weakness, attempts = state["weakness"], state.get("attempts") or []
    mem = memory(runtime, svc)
    svc.workspace.prepare()
    ticket_id = "T" + hashlib.sha1(f"{state.get('cycle')}:{weakness['test_id']}".encode()).hexdigest()[:8]
    ticket = mem.get("tickets", ticket_id) or _open_ticket(svc, state, ticket_id)
    mem.put("tickets", ticket_id, ticket)
    if svc.ctx.supervisor_model:  # the supervisor's reading of the failures reaches later prompts
        mem.put("lessons", weakness["test_id"], {"text": ticket["draft"][:1000], "ticket": ticket_id})
    mem.put("parked", weakness["test_id"], {"ticket": ticket_id, "skills": state.get("skills")})
    summary = f"escalated {weakness['test_id']} after {len(attempts)} failures: ticket {ticket_id}"
    if svc.ctx.interactive:
        note = interrupt({"kind": "escalation", "ticket": ticket_id, "question":
                          f"Ryx failed {MAX_FAILURES} times on {weakness['test_id']}.\n{ticket['draft']}\n"
                          "What should Ryx understand about it? Type a note (empty: leave it parked)."})
        if str(note or "").strip():
            mem.put("notes", weakness["test_id"], {"text": str(note).strip(), "ticket": ticket_id})
            mem.delete("parked", weakness["test_id"])
            mem.put("tickets", ticket_id, {**ticket, "status": "answered"})
            summary += " (note added; it will be retried)"
    return {"outcome": {"kind": "escalated", "summary": summary, "commit": None, "ticket": ticket_id}}


def _open_ticket(svc, state: RyxState, ticket_id: str) -> dict:
    weakness, attempts = state["weakness"], state.get("attempts") or []
    draft = "(no supervisor model configured)"
    if svc.ctx.supervisor_model:
        draft = ask(svc, "supervisor", render(load_prompt(__file__, "system.md")),
                    render(load_prompt(__file__, "user.md"), **weakness,
                           attempts=format_attempts(attempts, detail=True)))
    return {"id": ticket_id, "test_id": weakness["test_id"], "category": weakness["category"],
            "cycle": state.get("cycle"), "status": "open", "draft": draft,
            "attempts": [f"approach {a['approach']}.{a['attempt']}: {a['reason'][:300]}" for a in attempts]}
