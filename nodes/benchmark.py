"""benchmark: bring ryx/improve up to the user's branch, then score its head (the baseline),
from the cache when the tree is known."""

from __future__ import annotations

from dataclasses import asdict

from langgraph.runtime import Runtime

from nodes.scoring import score
from nodes.support import memory, services
from ryx.follow import follow
from state import RyxState
from state.context import Context


def benchmark(state: RyxState, runtime: Runtime[Context]) -> dict:
    svc = services(runtime)
    mem = memory(runtime, svc)
    followed = follow(svc.workspace)
    if followed.merge:  # a commit Ryx made: `ryx approve` may carry it into the user's branch
        mem.put("follows", followed.merge, {"commit": followed.merge, "tree": followed.tree})
    head = svc.workspace.prepare()
    with svc.meter.timing("benchmark"):
        card, cached = score(svc.workspace, svc.config.benchmark, mem, state.get("cycle"))
    return {"baseline": card, "base_commit": head, "baseline_cached": cached,
            "followed": asdict(followed) if followed.moved else None}
