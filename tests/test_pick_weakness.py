"""Which failing test a cycle works on: the weakest category first, parked and flaky ones never."""

from __future__ import annotations

from nodes.pick_weakness import choose


def card(tests: dict[str, tuple[str, int, bool]]) -> dict:
    rows = {tid: {"category": c, "points": p, "earned": p if ok else 0, "outcome": "passed" if ok else "failed"}
            for tid, (c, p, ok) in tests.items()}
    cats: dict[str, dict[str, int]] = {}
    for row in rows.values():
        cat = cats.setdefault(row["category"], {"points": 0, "max": 0})
        cat["points"] += row["earned"]
        cat["max"] += row["points"]
    return {"tests": rows, "categories": cats, "total": sum(c["points"] for c in cats.values()),
            "max": sum(c["max"] for c in cats.values())}


SCORES = card({
    "a::one": ("edit", 1, True), "a::two": ("edit", 1, False),           # edit 1/2
    "b::one": ("search", 2, False), "b::two": ("search", 1, False),      # search 0/3
    "b::three": ("search", 1, True),
})


def test_the_weakest_category_and_its_cheapest_failing_test_come_first():
    assert choose(SCORES, set(), None)[0] == "b::two"


def test_parked_tests_are_skipped_and_a_focus_category_goes_first():
    assert choose(SCORES, {"b::two"}, None)[0] == "b::one"
    assert choose(SCORES, set(), "edit")[0] == "a::two"


def test_nothing_to_choose_when_all_pass_or_are_parked():
    assert choose(SCORES, {"a::two", "b::one", "b::two"}, None) is None
    assert choose(card({"x": ("edit", 1, True)}), set(), None) is None
