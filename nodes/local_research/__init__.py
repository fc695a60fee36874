"""local_research (approach 1): search the target, the repos on this machine and the installed
packages the failure concerns; keep the best excerpts as evidence; plan.

The target is searched by this cycle's search skill. The rest of the library is indexed in
the background (`ryx.library`): research waits a moment for the pass under way, then searches
what is indexed, so a large home never holds up a cycle.
"""

from __future__ import annotations

from itertools import chain, zip_longest

from langgraph.runtime import Runtime

from nodes.evidence import budget_chars, code_evidence, distinct, fit, format_evidence, research_query
from nodes.local_research.installed import installed_packages
from nodes.online_research import online_plan
from nodes.rethink import rethink_plan
from nodes.support import (
    ask,
    guidance,
    load_prompt,
    render,
    research_index,
    research_library,
    services,
    skills,
    target_repo_name,
)
from state import Research, RyxState
from state.context import Context

HITS = 6  # from the target, and as many from the rest of the library
FLOOR = 0.2  # a hit scoring under this share of its list's best is noise, not evidence
LIBRARY_WAIT_S = 3.0  # how long research waits for the indexing pass under way
PLAN_SHARE = 0.25  # of the reasoning model's context, for the evidence it plans from


def local_research(state: RyxState, runtime: Runtime[Context]) -> dict:
    svc = services(runtime)
    weakness = state["weakness"]
    query = research_query(weakness)
    indexer = research_library(svc)
    site = installed_packages(svc.config.benchmark.python, svc.workspace.path, _texts(svc, weakness))
    if site:
        indexer.prioritize(indexer.library.add(site, "site"))
    indexer.wait_idle(LIBRARY_WAIT_S)
    target = target_repo_name(svc)
    own = skills(svc, state).search(research_index(svc), [(target, svc.workspace.path)], query, HITS + 1)
    own = [h for h in own if h.path != weakness["test_file"]][:HITS]  # the prompt shows the test already
    others = indexer.library.search(query, HITS)
    pairs = zip_longest(_strong(own), _strong(others))
    hits = [h for h in chain.from_iterable(pairs) if h is not None]
    roots = {target: svc.workspace.path}
    evidence = distinct([code_evidence(h, roots.get(h.repo) or indexer.library.root_of(h.repo), query)
                         for h in hits])
    found = format_evidence(fit(evidence, budget_chars(svc.pool.settings.num_ctx, PLAN_SHARE)))
    plan = ask(svc, "reasoning", load_prompt(__file__, "system.md"),
               render(load_prompt(__file__, "user.md"), **weakness, found=found,
                      notes=guidance(runtime, svc, weakness["test_id"])))
    searched = len([s for s in indexer.library.sources() if s.indexed_at])
    status = ("ok" if hits else "empty") + f" ({searched} local source(s) indexed)"
    research = Research(approach=1, kind="local", status=status, plan=plan,
                        sources=[h.cite() for h in hits], evidence=evidence)
    return {"research": research, "planned": _ahead(svc, runtime, state, evidence)}


def _ahead(svc, runtime, state: RyxState, evidence: list) -> dict | None:
    """When the reasoning and coding models cannot be resident together, the plans of the
    later approaches are written now, while the reasoning model is loaded: a cycle then swaps
    models three times at most (reasoning, coding, reasoning for the review or escalation),
    not at every approach. Each failure still reaches the coding model in its own prompt."""
    if svc.pool.fit_together("reasoning", "coding"):
        return None
    online = online_plan(svc, runtime, state, evidence, ahead=True)
    return {"online": online, "rethink": rethink_plan(svc, runtime, state, online["evidence"], ahead=True)}


def _strong(hits: list) -> list:
    """The hits that score at least FLOOR of the best one (hits come best first)."""
    return [h for h in hits if h.score >= FLOOR * hits[0].score] if hits else []


def _texts(svc, weakness: dict) -> list[str]:
    """The test's source and the suspect files: what decides which packages matter."""
    texts = [weakness.get("test_source", "")]
    for rel in weakness.get("suspects") or []:
        try:
            texts.append((svc.workspace.path / rel).read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
    return texts
