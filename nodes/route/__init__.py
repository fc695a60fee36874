"""route: start a cycle, or end it at once when a stop was requested.

Starting a cycle: ryx/improve catches up with the user's branch (ryx.follow), and, when Ryx
works on itself, the skills this cycle runs are chosen: the head of ryx/improve, or what is
left after skills that break the loop were reverted there (ryx.skillset). With a focus given
(`--focus "make edits tolerate tabs"`), the intent model maps it to one of the benchmark's
categories; without one, no model is called.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict

from langgraph.runtime import Runtime
from langgraph.types import Overwrite

from benchmark.integrity import benchmark_files
from nodes.support import ask, load_prompt, memory, render, services, skills_cache
from ryx.control import stop_requested
from ryx.follow import follow
from ryx.sandbox import Sandbox
from ryx.skillset import choose_skills
from state import RyxState
from state.context import Context

_CATEGORY = re.compile(r"""category\s*=\s*["']([\w.-]+)["']""")


def route(state: RyxState, runtime: Runtime[Context]) -> dict:
    svc = services(runtime)
    if stop_requested(svc.ctx.db_path):
        return {"outcome": {"kind": "stopped", "summary": "stop requested", "commit": None}}
    mem = memory(runtime, svc)
    followed = follow(svc.workspace)
    if followed.merge:  # a commit Ryx made: `ryx approve` may carry it into the user's branch
        mem.put("made", followed.merge, {"commit": followed.merge, "tree": followed.tree,
                                         "why": followed.detail})
    choice = choose_skills(svc.workspace, mem, skills_cache(svc), Sandbox(svc.config.benchmark.sandbox))
    update = {
        "cycle": state.get("cycle", 0) + 1,
        "cycle_started": time.time(),
        "followed": asdict(followed) if followed.moved else None,
        "skills": choice.commit,
        "skills_reverted": list(choice.reverted),
        "weakness": None,
        "research": None,
        "planned": None,
        "candidate": None,
        "accepted": None,
        "attempts": Overwrite([]),
        "outcome": None,
    }
    focus = state.get("focus")
    if not focus:  # a cycle without --focus works on the weakest category, whatever came before
        update.update(focus_category=None, focus_of=None)
    elif focus != state.get("focus_of"):  # a new focus is mapped anew; the same one is not asked again
        categories = _known_categories(svc, state, mem.history())
        update["focus_category"] = focus_category(svc, focus, categories) if categories else None
        update["focus_of"] = focus
    return update


def _known_categories(svc, state: RyxState, history: list[dict]) -> list[str]:
    """Categories of the last scorecard, or read off the benchmark files before the first one."""
    card = state.get("baseline") or (history[-1]["scorecard"] if history else None)
    if card:
        return sorted(card["categories"])
    found: set[str] = set()
    for path in benchmark_files(svc.root, svc.config.benchmark):
        if path.suffix == ".py":
            found.update(_CATEGORY.findall(path.read_text(encoding="utf-8", errors="replace")))
    return sorted(found)


def focus_category(svc, focus: str, categories: list[str]) -> str | None:
    """Ask the intent model which category a free-text focus means; None if it names none."""
    reply = ask(svc, "intent", load_prompt(__file__, "system.md"),
                render(load_prompt(__file__, "user.md"), focus=focus, categories=", ".join(categories)))
    words = reply.strip().lower().replace("`", " ").split()
    return next((c for c in categories if c.lower() in words or c.lower() in reply.lower()), None)
