"""The 3x3 policy and the graph's other routes: pure functions of the state.

The numbers live in state/policy.py (three tries per approach, approaches in order, escalation
after nine failures); these functions are wired as conditional edges in graph/builder.py.
"""

from __future__ import annotations

from typing import Literal

from state import RyxState
from state.policy import APPROACHES, MAX_FAILURES, TRIES_PER_APPROACH, count_failures, position

Step = Literal["verify", "land", "patch", "online_research", "rethink", "escalate"]
# Where each step can really go (Studio draws only these edges).
AFTER_PATCH = ["verify", "patch", "online_research", "rethink", "escalate"]
AFTER_VERIFY = ["land", "patch", "online_research", "rethink", "escalate"]


def next_step(state: RyxState) -> Step:
    """After `patch` or `verify`: where the cycle goes next."""
    if state.get("candidate"):
        return "verify"
    attempts = state.get("attempts") or []
    if not attempts:
        raise ValueError("next_step: no candidate and no attempt in state; patch must produce one")
    last = attempts[-1]
    if last["status"] == "improved":
        return "land"
    if last["status"] != "failed":
        raise ValueError(f"next_step: unexpected attempt status {last['status']!r}")
    failures = count_failures(attempts)
    if failures >= MAX_FAILURES:
        return "escalate"
    if failures % TRIES_PER_APPROACH == 0:
        return APPROACHES[failures // TRIES_PER_APPROACH]  # type: ignore[return-value]
    return "patch"


__all__ = ["AFTER_PATCH", "AFTER_VERIFY", "after_pick", "after_route", "count_failures", "next_step",
           "position"]


def after_route(state: RyxState) -> Literal["benchmark", "__end__"]:
    outcome = state.get("outcome")
    if outcome is None:
        return "benchmark"
    if outcome["kind"] == "stopped":
        return "__end__"
    raise ValueError(f"after_route: unexpected outcome {outcome!r}")


def after_pick(state: RyxState) -> Literal["local_research", "__end__"]:
    if state.get("weakness"):
        return "local_research"
    if state.get("outcome"):
        return "__end__"
    raise ValueError("after_pick: neither a weakness nor an outcome in state")
