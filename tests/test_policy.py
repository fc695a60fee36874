"""The 3x3 policy, transition by transition."""

from __future__ import annotations

import pytest

from graph.policy import after_pick, after_route, next_step, position


def failed(approach: int, attempt: int) -> dict:
    return {"approach": approach, "attempt": attempt, "candidate_id": None, "status": "failed",
            "reason": "x", "points_before": 1, "points_after": 1}


def failures(n: int) -> list[dict]:
    return [failed(i // 3 + 1, i % 3 + 1) for i in range(n)]


def test_a_candidate_waiting_goes_to_verify():
    assert next_step({"candidate": {"id": "c"}, "attempts": failures(4)}) == "verify"


def test_an_improvement_lands():
    improved = {**failed(1, 2), "status": "improved"}
    assert next_step({"candidate": None, "attempts": [failed(1, 1), improved]}) == "land"


@pytest.mark.parametrize("n, expected", [
    (1, "patch"), (2, "patch"), (3, "online_research"),
    (4, "patch"), (5, "patch"), (6, "rethink"),
    (7, "patch"), (8, "patch"), (9, "escalate"),
])
def test_failures_walk_three_tries_of_three_approaches(n, expected):
    assert next_step({"candidate": None, "attempts": failures(n)}) == expected


@pytest.mark.parametrize("n, expected", [(0, (1, 1)), (1, (1, 2)), (2, (1, 3)), (3, (2, 1)),
                                         (5, (2, 3)), (6, (3, 1)), (8, (3, 3))])
def test_position_numbers_the_next_try(n, expected):
    assert position(failures(n)) == expected


def test_unexpected_states_fail_loudly():
    with pytest.raises(ValueError):
        next_step({"candidate": None, "attempts": []})
    with pytest.raises(ValueError):
        next_step({"attempts": [{**failed(1, 1), "status": "pending"}]})
    with pytest.raises(ValueError):
        after_pick({"weakness": None, "outcome": None})
    with pytest.raises(ValueError):
        after_route({"outcome": {"kind": "landed", "summary": "", "commit": None}})


def test_routes_of_route_and_pick():
    assert after_route({"outcome": None}) == "benchmark"
    assert after_route({"outcome": {"kind": "stopped", "summary": "", "commit": None}}) == "__end__"
    assert after_pick({"weakness": {"test_id": "t"}}) == "local_research"
    assert after_pick({"weakness": None, "outcome": {"kind": "idle"}}) == "__end__"
