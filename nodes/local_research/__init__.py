"""local_research (approach 1): search the target and other git repos on disk, then plan."""

from __future__ import annotations

from pathlib import Path

from langgraph.runtime import Runtime

from nodes.support import ask, guidance, load_prompt, render, research_index, services, skills, target_repo_name
from ryx.repos import find_git_repos
from state import Research, RyxState
from state.context import Context

MAX_REPOS = 10


def local_research(state: RyxState, runtime: Runtime[Context]) -> dict:
    svc = services(runtime)
    weakness = state["weakness"]
    repos = [(target_repo_name(svc), svc.workspace.path), *((r.name, r) for r in _other_repos(svc))]
    query = f"{weakness['test_id']} {weakness['failure']} {weakness['diagnosis']}"
    hits = skills(svc, state).search(research_index(svc), repos, query, 8)
    found = "\n\n".join(f"{h.cite()}\n{h.snippet}" for h in hits) or "(no matches)"
    plan = ask(svc, "reasoning", load_prompt(__file__, "system.md"),
               render(load_prompt(__file__, "user.md"), **weakness, found=found,
                      notes=guidance(runtime, svc, weakness["test_id"])))
    research = Research(approach=1, kind="local", status="ok" if hits else "empty",
                        plan=plan, sources=[h.cite() for h in hits])
    return {"research": research}


def _other_repos(svc) -> list[Path]:
    """Git repos under the configured research roots, or beside the target by default."""
    roots = svc.config.research_roots or (svc.root.parent,)
    return [r for r in find_git_repos(roots, limit=MAX_REPOS) if r.resolve() != svc.root][:MAX_REPOS]
