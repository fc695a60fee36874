"""Scorecard JSON contract, validation messages and the points table."""

from __future__ import annotations

import json

import pytest

from benchmark.scorecard import Scorecard, ScorecardError, TestResult

CARD = Scorecard(
    tests={
        "b/test_x.py::test_2": TestResult("speed", 1, "timeout", 2.5),
        "b/test_x.py::test_1": TestResult("edit_success", 3, "passed", 0.1),
        "b/test_y.py::test_3": TestResult("edit_success", 2, "xpassed", 0.2),
    },
    tree="a" * 40, benchmark_hash="b" * 64, duration_s=3.25, output="tail",
)


def test_to_json_follows_the_contract() -> None:
    data = CARD.to_json()
    assert data == {
        "total": 3, "max": 6,
        "categories": {"edit_success": {"points": 3, "max": 5}, "speed": {"points": 0, "max": 1}},
        "tests": {
            "b/test_x.py::test_1": {"category": "edit_success", "points": 3, "earned": 3,
                                    "outcome": "passed", "duration_s": 0.1},
            "b/test_x.py::test_2": {"category": "speed", "points": 1, "earned": 0,
                                    "outcome": "timeout", "duration_s": 2.5},
            "b/test_y.py::test_3": {"category": "edit_success", "points": 2, "earned": 0,
                                    "outcome": "xpassed", "duration_s": 0.2},
        },
        "tree": "a" * 40, "benchmark_hash": "b" * 64, "duration_s": 3.25,
    }
    assert Scorecard.from_json(json.loads(json.dumps(data))) == CARD
    assert CARD.passed_ids() == {"b/test_x.py::test_1"}


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d.pop("tests"), "scorecard has no `tests` field"),
    (lambda d: d["tests"]["b/test_x.py::test_1"].pop("category"),
     "tests['b/test_x.py::test_1'] has no `category` field"),
    (lambda d: d["tests"]["b/test_x.py::test_1"].update(outcome="great"),
     "outcome is 'great'; use one of passed"),
    (lambda d: d["tests"]["b/test_x.py::test_1"].update(points=1.5), "points must be int"),
    (lambda d: d["tests"]["b/test_x.py::test_2"].update(earned=1), "earned is 1 but a timeout"),
    (lambda d: d.update(total=99), "scorecard `total` is 99 but its tests add up to 3"),
    (lambda d: d.update(tree=5), "scorecard.tree must be str"),
])
def test_from_json_names_the_bad_field(mutate: object, message: str) -> None:
    data = CARD.to_json()
    mutate(data)  # type: ignore[operator]
    with pytest.raises(ScorecardError) as caught:
        Scorecard.from_json(data)
    assert message in str(caught.value)


def test_render_table_shows_points_and_change_since_previous() -> None:
    previous = Scorecard(tests={
        "b/test_x.py::test_1": TestResult("edit_success", 3, "failed"),
        "b/test_x.py::test_2": TestResult("speed", 1, "timeout"),
    })
    table = CARD.render_table(previous)
    lines = table.splitlines()
    assert lines[0].split() == ["edit_success", "3/5", "(+3)"]
    assert lines[1].split() == ["speed", "0/1", "(±0)"]
    assert lines[2].split() == ["total", "3/6", "(+3)"]
    assert "%" not in table
    assert lines[3] == "not passing (2):"
    assert "timeout" in lines[4] and "b/test_x.py::test_2" in lines[4]
    assert CARD.render_table().splitlines()[0].split() == ["edit_success", "3/5"]
