"""The numbers of the 3x3 policy, and where a cycle stands in it: pure, stdlib only.

Three tries per approach, the approaches in order (local research, online research,
rethink), escalation after nine failures. The routing that uses them is graph/policy.py;
prompts and progress lines take their counts from here instead of repeating them.
"""

from __future__ import annotations

from state.types import Attempt

APPROACHES = ("local_research", "online_research", "rethink")
TRIES_PER_APPROACH = 3
MAX_FAILURES = TRIES_PER_APPROACH * len(APPROACHES)


def count_failures(attempts: list[Attempt]) -> int:
    return sum(1 for a in attempts if a["status"] == "failed")


def position(attempts: list[Attempt]) -> tuple[int, int]:
    """(approach 1..3, attempt 1..3) of the next try, from the failures so far."""
    failures = min(count_failures(attempts), MAX_FAILURES - 1)
    return failures // TRIES_PER_APPROACH + 1, failures % TRIES_PER_APPROACH + 1


def attempt_key(cycle: int | None, approach: int, attempt: int) -> str:
    """How `ryx show` names an attempt: `c3-a1-t2` is cycle 3, approach 1, try 2."""
    return f"c{cycle or 0}-a{approach}-t{attempt}"
