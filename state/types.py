"""The graph's state. Plain TypedDicts, so checkpoints hold only JSON-like data.

`attempts` accumulates within a cycle (operator.add); `route` starts each cycle with
`Overwrite([])`, so one thread can run thousands of cycles.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, NotRequired, TypedDict


class Weakness(TypedDict):
    """The failing benchmark test this cycle works on."""

    category: str
    test_id: str
    points: int
    test_file: str
    test_source: str
    failure: str
    diagnosis: str
    suspects: list[str]


class Evidence(TypedDict):
    """A verbatim excerpt research found, and where from (`repo:path:lines`, or a URL)."""

    source: str
    text: str
    kind: Literal["code", "web"]


class Research(TypedDict):
    """What an approach found, and the plan the patch prompt carries."""

    approach: int
    kind: Literal["local", "online", "rethink"]
    status: str
    plan: str
    sources: list[str]
    evidence: NotRequired[list[Evidence]]  # best first; the patch prompt carries what fits


class Candidate(TypedDict):
    """A patch applied in the worktree and waiting to be scored (or accepted)."""

    id: str
    approach: int
    attempt: int
    diff: str
    paths: list[str]
    summary: str
    tree: NotRequired[str]  # the git tree verify scored (set once accepted)
    dropped: NotRequired[list[str]]  # parts of the reply that earned nothing and were left out
    batch: NotRequired[str]  # how the samples of this attempt ended (when it drew several)
    alternates: NotRequired[list[dict[str, Any]]]  # other survivors ({id, diff, paths}), tried in turn
    record: NotRequired[str]  # the attempt's whole record in memory (`ryx show KEY`)


class Attempt(TypedDict):
    """One try at the weakness: scored, refused before scoring, or accepted."""

    approach: int
    attempt: int
    candidate_id: str | None
    status: Literal["failed", "improved"]
    reason: str
    points_before: int
    points_after: int | None
    batch: NotRequired[str]  # how the samples of this attempt ended (when it drew several)
    record: NotRequired[str]  # the attempt's whole record in memory (`ryx show KEY`)


class Outcome(TypedDict):
    """How the cycle ended."""

    kind: Literal["landed", "escalated", "idle", "stopped", "refused"]
    summary: str
    commit: str | None
    ticket: NotRequired[str]  # the escalation's ticket


class RyxState(TypedDict, total=False):
    cycle: int
    cycle_started: float  # when this cycle began (memory from before it is "earlier")
    focus: str | None
    focus_category: str | None
    focus_of: str | None  # the focus text focus_category was mapped from
    base_commit: str
    followed: dict[str, Any] | None  # how ryx/improve caught up with the user's branch, if it moved
    skills: str | None  # the ryx/improve commit whose skills this cycle runs (None: the loop's own)
    skills_reverted: list[str]  # skills that broke the loop, reverted as this cycle began
    baseline: dict[str, Any] | None
    baseline_cached: bool
    weakness: Weakness | None
    research: Research | None
    planned: dict[str, Research] | None  # later approaches' research, written ahead ("online", "rethink")
    candidate: Candidate | None
    accepted: Candidate | None
    attempts: Annotated[list[Attempt], operator.add]
    outcome: Outcome | None
