"""pick_weakness: the weakest category's failing test, with a diagnosis by the reasoning model.

The choice is deterministic (weakest category by points earned over points possible, parked
tests skipped, the focus category first when one was given); the model only explains it.
"""

from __future__ import annotations

from langgraph.runtime import Runtime

from nodes.scoring import failure_output
from nodes.support import ask, load_prompt, memory, render, services, skills
from ryx.codectx import suspects, test_source
from state import RyxState, Weakness
from state.context import Context


def pick_weakness(state: RyxState, runtime: Runtime[Context]) -> dict:
    svc = services(runtime)
    card = state["baseline"]
    mem = memory(runtime, svc)
    parked = _still_parked(mem, state.get("skills"))
    choice = choose(card, set(parked) | set(mem.all("quarantine")), state.get("focus_category"))
    if choice is None:
        return {"outcome": {"kind": "idle", "summary": _idle_reason(card, parked), "commit": None}}
    test_id, info = choice
    root = svc.workspace.path
    file, source = test_source(root, test_id)
    with svc.meter.timing("benchmark"):
        output = failure_output(svc.workspace, svc.config.benchmark, test_id)
    text, files = skills(svc, state).feedback(output)
    failure = text or output[-1500:]
    whole = (root / file).read_text(encoding="utf-8", errors="replace")
    weakness = Weakness(category=info["category"], test_id=test_id, points=info["points"],
                        test_file=file, test_source=source, failure=failure, diagnosis="",
                        suspects=suspects(root, file, whole, files))
    weakness["diagnosis"] = ask(svc, "reasoning", load_prompt(__file__, "system.md"),
                                render(load_prompt(__file__, "user.md"), **weakness)).strip()
    return {"weakness": weakness}


def _still_parked(mem, skills_commit: str | None) -> dict:
    """Parked tests, but those parked while other skills ran are worked on again: the skills
    that failed nine times on them have changed since."""
    parked = mem.all("parked")
    for test_id, record in list(parked.items()):
        if record.get("skills") != skills_commit:
            mem.delete("parked", test_id)
            del parked[test_id]
    return parked


def choose(card: dict, parked: set[str], focus: str | None) -> tuple[str, dict] | None:
    """The failing test of the weakest category (focus first), skipping parked and flaky ones."""
    failing = {tid: t for tid, t in card["tests"].items()
               if t["earned"] < t["points"] and tid not in parked}
    if not failing:
        return None
    categories = {t["category"] for t in failing.values()}

    def weakness_order(cat: str) -> tuple:
        totals = card["categories"].get(cat, {"points": 0, "max": 1})
        return (cat != focus, totals["points"] / max(totals["max"], 1), -totals["max"], cat)

    category = min(categories, key=weakness_order)
    test_id = min((tid for tid, t in failing.items() if t["category"] == category),
                  key=lambda tid: (failing[tid]["points"], tid))
    return test_id, failing[test_id]


def _idle_reason(card: dict, parked: dict) -> str:
    if card["total"] >= card["max"]:
        return f"nothing to improve: all {card['max']} points earned"
    return f"every failing test is parked ({len(parked)}); see `ryx status` and add notes"
