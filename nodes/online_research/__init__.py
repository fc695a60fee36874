"""online_research (approach 2): search the web (cached), read the best pages, keep their most
relevant paragraphs as evidence beside what local research found, and plan. Offline is
recorded, not fatal. A repository the results point to is proposed for cloning: asked about
in a run that can ask, queued for `ryx approve` in one that cannot, never cloned silently.
"""

from __future__ import annotations

from langgraph.runtime import Runtime
from langgraph.types import interrupt

from nodes.evidence import budget_chars, code_evidence, distinct, fit, format_evidence, research_query, web_evidence
from nodes.online_research.query import web_query
from nodes.support import (
    ask,
    format_attempts,
    guidance,
    load_prompt,
    memory,
    render,
    research_library,
    services,
    web_cache,
)
from ryx.clones import accept, propose, repo_url
from ryx.control import ryx_home
from ryx.pages import page_text
from ryx.web import WebResult, web_search
from state import Evidence, Research, RyxState
from state.context import Context

PAGES = 2  # pages read in full, of the best results
AHEAD = "(none yet: this plan is written ahead, for when the local plan has failed)"
PLAN_SHARE = 0.25
CLONE_INDEX_WAIT_S = 30.0  # a fresh clone the user said yes to is worth a short wait


def online_research(state: RyxState, runtime: Runtime[Context]) -> dict:
    planned = (state.get("planned") or {}).get("online")  # written ahead, beside the local plan
    if planned:
        return {"research": planned}
    svc = services(runtime)
    carried = (state.get("research") or {}).get("evidence") or []
    return {"research": online_plan(svc, runtime, state, carried)}


def online_plan(svc, runtime, state: RyxState, carried: list[Evidence], *, ahead: bool = False) -> Research:
    """Search, read, and plan; `ahead`: before any attempt failed (the reasoning model is
    loaded now and will not be again before the coding model has had its tries)."""
    weakness = state["weakness"]
    query = web_query(weakness)
    with web_cache(svc) as cache:
        result = web_search(query, enabled=svc.config.online and not svc.ctx.offline,
                            searx_url=svc.config.searx_url, cache=cache)
        pages = [page_text(h.url, cache=cache) if i < PAGES else None for i, h in enumerate(result.hits)]
    about = research_query(weakness)  # what makes a paragraph or a line relevant
    found_web = [web_evidence(h, page, about) for h, page in zip(result.hits, pages, strict=True)]
    found_web += _cloned_evidence(svc, runtime, state, result, query, about)
    evidence = distinct(found_web + [e for e in carried if e["kind"] == "code"])
    found = format_evidence(fit(found_web, budget_chars(svc.pool.settings.num_ctx, PLAN_SHARE)))
    if not found_web:
        found = f"(no web results: {result.status}, {result.detail})"
    attempts = AHEAD if ahead else format_attempts(state.get("attempts") or [])
    plan = ask(svc, "reasoning", render(load_prompt(__file__, "system_ahead.md" if ahead else "system.md")),
               render(load_prompt(__file__, "user.md"), **weakness, found=found, attempts=attempts,
                      notes=guidance(runtime, svc, weakness["test_id"])))
    status = result.status + (", cached" if result.cached else "") + (", planned ahead" if ahead else "")
    return Research(approach=2, kind="online", status=status, plan=plan,
                    sources=[h.url for h in result.hits], evidence=evidence)


def _cloned_evidence(svc, runtime, state: RyxState, result: WebResult, query: str,
                     about: str) -> list[Evidence]:
    """The first repository the results point to: asked about (and, on yes, cloned, indexed and
    searched) in a run that can ask; queued for approval otherwise."""
    url = next((u for u in (repo_url(h.url) for h in result.hits) if u), None)
    if url is None:
        return []
    weakness = state["weakness"]
    record = propose(memory(runtime, svc), url, weakness["test_id"], found_by=query)
    if record["status"] != "pending" or not svc.ctx.interactive:
        return []
    answer = interrupt({"kind": "clone", "id": record["id"], "question":
                        f"Research points to {url}. Clone it (shallow, read only, never run) into "
                        f"{ryx_home() / 'clones'} for local research? [y/N]"})
    mem = memory(runtime, svc)
    if str(answer).strip().lower() not in ("y", "yes"):
        mem.put("clones", record["id"], {**record, "status": "rejected"})
        return []
    path = accept(mem, record, ryx_home() / "clones")
    indexer = research_library(svc)
    source = indexer.library.add([path], "clone")[0]
    indexer.prioritize([source])
    indexer.wait_idle(CLONE_INDEX_WAIT_S)
    hits = [h for h in indexer.library.search(about, 6) if h.repo == source.name][:2]
    return [code_evidence(h, path, about) for h in hits]
