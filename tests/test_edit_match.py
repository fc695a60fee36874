"""The matching ladder, rung by rung, and its refusals."""

from __future__ import annotations

import pytest

from skills.edit.match import Ambiguous, BadBlock, NoMatch, apply_block

FILE = [
    "class Shop:",
    "    def total(self):",
    "        value = 0",
    "        for item in self.items:   ",
    "            value += item.price",
    "",
    "        return value",
    "",
    "    def names(self):",
    "        return sorted(self.items)",
]


def lines(text: str) -> list[str]:
    return text.split("\n")


def test_exact():
    out = apply_block(FILE, ["        return value"], ["        return round(value, 2)"])
    assert out[6] == "        return round(value, 2)" and out[:6] == FILE[:6]


def test_trailing_whitespace_ignored_and_kept_on_untouched_lines():
    search = lines("        for item in self.items:\n            value += item.price")
    replace = lines("        for item in self.items:\n            value += item.price * item.qty")
    out = apply_block(FILE, search, replace)
    assert out[3] == FILE[3]  # trailing spaces kept
    assert out[4] == "            value += item.price * item.qty"


def test_indentation_shift_is_reapplied_to_new_lines():
    search = lines("def names(self):\n    return sorted(self.items)")
    replace = lines("def names(self):\n    if not self.items:\n        return []\n    return sorted(self.items)")
    out = apply_block(FILE, search, replace)
    assert out[8:] == ["    def names(self):", "        if not self.items:", "            return []",
                       "        return sorted(self.items)"]


def test_indentation_scale_two_spaces_to_four():
    search = lines("  def names(self):\n    return sorted(self.items)")
    replace = lines("  def names(self):\n    return sorted(self.items, reverse=True)")
    assert apply_block(FILE, search, replace)[9] == "        return sorted(self.items, reverse=True)"


def test_blank_lines_tolerated_and_kept():
    search = lines("            value += item.price\n        return value")
    replace = lines("            value += item.price\n        return int(value)")
    out = apply_block(FILE, search, replace)
    assert out[4:7] == ["            value += item.price", "", "        return int(value)"]


def test_tabs_for_spaces():
    tabbed = ["def f(x):", "\tif x:", "\t\treturn 1", "\treturn 0"]
    out = apply_block(tabbed, lines("    if x:\n        return 1"), lines("    if x:\n        return 2"))
    assert out == ["def f(x):", "\tif x:", "\t\treturn 2", "\treturn 0"]


def test_elision_keeps_the_middle():
    search = lines("    def total(self):\n        ...\n        return value")
    replace = lines("    def total(self):\n        ...\n        return value or 0")
    out = apply_block(FILE, search, replace)
    assert out[1:6] == FILE[1:6] and out[6] == "        return value or 0"


def test_elision_dropped_from_replace_is_refused():
    with pytest.raises(BadBlock):
        apply_block(FILE, lines("    def total(self):\n    # ...\n        return value"),
                    lines("    def total(self):\n        return 0"))


def test_closest_window_fixes_a_typo_and_keeps_the_files_line():
    search = lines("        valeu = 0\n        for item in self.items:\n            value += item.price")
    replace = lines("        valeu = 0\n        for item in self.items:\n            value += item.price * 2")
    out = apply_block(FILE, search, replace)
    assert out[2] == "        value = 0" and out[4] == "            value += item.price * 2"


def test_no_match_reports_the_closest_window():
    with pytest.raises(NoMatch) as info:
        apply_block(FILE, lines("def totals(self, tax):\n    return self.value * tax"), ["x"])
    score, start, end = info.value.closest
    assert 0 < score < 0.9 and end - start == 2


def test_ambiguous_exact_is_refused():
    doubled = FILE + ["        x = 1", "", "        x = 1"]
    with pytest.raises(Ambiguous) as info:
        apply_block(doubled, ["        x = 1"], ["        x = 2"])
    assert [a for a, _ in info.value.spans] == [10, 12]


def test_ambiguous_after_indent_is_refused_not_guessed():
    src = ["class A:", "    def f(self):", "        return 1", "class B:", "    def f(self):", "        return 1"]
    with pytest.raises(Ambiguous):
        apply_block(src, ["def f(self):", "    return 1"], ["def f(self):", "    return 2"])


def test_empty_search_is_refused():
    with pytest.raises(BadBlock):
        apply_block(FILE, ["", "  "], ["x"])


def test_large_file_near_miss_found_quickly():
    import time

    big = [f"    value_{i} = compute_{i % 97}(x, y) + {i}" for i in range(4000)]
    search = big[2500:2512]
    search[3] = search[3].replace("value", "valeu")
    started = time.monotonic()
    out = apply_block(big, search, search[:-1] + ["    changed = 1"])
    assert out[2511] == "    changed = 1" and out[2503] == big[2503]
    with pytest.raises(NoMatch):
        apply_block(big, [f"    nothing_{i} = here()" for i in range(12)], ["x"])
    assert time.monotonic() - started < 3
