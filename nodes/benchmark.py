"""benchmark: score the head of ryx/improve (the baseline), from the cache when the tree is known."""

from __future__ import annotations

from langgraph.runtime import Runtime

from nodes.scoring import score
from nodes.support import memory, services
from state import RyxState
from state.context import Context


def benchmark(state: RyxState, runtime: Runtime[Context]) -> dict:
    svc = services(runtime)
    head = svc.workspace.prepare()
    with svc.meter.timing("benchmark"):
        card, cached = score(svc.workspace, svc.config.benchmark, memory(runtime, svc), state.get("cycle"))
    return {"baseline": card, "base_commit": head, "baseline_cached": cached}
