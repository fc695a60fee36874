"""Wiring only: nodes and routes of one improvement cycle. Callers compile it."""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph

from graph.policy import AFTER_PATCH, AFTER_VERIFY, after_pick, after_route, next_step
from nodes.benchmark import benchmark
from nodes.escalate import escalate
from nodes.land import land
from nodes.local_research import local_research
from nodes.online_research import online_research
from nodes.patch import patch
from nodes.pick_weakness import pick_weakness
from nodes.rethink import rethink
from nodes.route import route
from nodes.verify import verify
from state import RyxState
from state.context import Context

NODES = {
    "route": route,
    "benchmark": benchmark,
    "pick_weakness": pick_weakness,
    "local_research": local_research,
    "online_research": online_research,
    "rethink": rethink,
    "patch": patch,
    "verify": verify,
    "land": land,
    "escalate": escalate,
}


def build_graph() -> StateGraph:
    """The uncompiled builder: Studio compiles it bare, the CLI with SQLite, tests fresh."""
    builder = StateGraph(RyxState, context_schema=Context)
    for name, fn in NODES.items():
        builder.add_node(name, fn)
    builder.add_edge(START, "route")
    builder.add_conditional_edges("route", after_route, ["benchmark", END])
    builder.add_edge("benchmark", "pick_weakness")
    builder.add_conditional_edges("pick_weakness", after_pick, ["local_research", END])
    for research in ("local_research", "online_research", "rethink"):
        builder.add_edge(research, "patch")
    builder.add_conditional_edges("patch", next_step, AFTER_PATCH)
    builder.add_conditional_edges("verify", next_step, AFTER_VERIFY)
    builder.add_edge("land", END)
    builder.add_edge("escalate", END)
    return builder
