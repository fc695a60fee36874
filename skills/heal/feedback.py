"""Pack failures into the short text the next prompt carries: blockers first, no repeats."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from skills.heal.clip import clip_lines
from skills.heal.pytest_output import Failure

# A module that does not import hides every test in it, so those come first.
_PRIORITY = {"syntax": 0, "import": 1, "collection": 2, "exception": 3, "assertion": 4, "timeout": 5}
_NOTE_RESERVE = 160
_MIN_SHARE = 300


@dataclass
class _Group:
    first: Failure
    others: list[str] = field(default_factory=list)

    def matches(self, failure: Failure) -> bool:
        same_kind = failure.kind == self.first.kind
        same_place = failure.file is not None and failure.line is not None and (
            (failure.file, failure.line) == (self.first.file, self.first.line)
        )
        return same_kind and (failure.message == self.first.message or same_place)


def feedback_for_model(failures: Sequence[Failure], *, limit_chars: int = 1500) -> str:
    """At most `limit_chars` of text: each distinct failure once, the most blocking first."""
    if not failures:
        return "The test run reported no failures to fix."
    groups = sorted(_group(failures), key=lambda g: _PRIORITY.get(g.first.kind, 9))
    head = f"{len(failures)} failing ({len(groups)} distinct), most blocking first:"
    parts, left_out = [head], []
    for index, group in enumerate(groups):
        budget = _share(limit_chars - _size(parts) - _NOTE_RESERVE, len(groups) - index)
        block = _render(group, len(parts), budget)
        if block is None:
            left_out.append(group)
        else:
            parts.append(block)
    if left_out:
        parts.append(_note(left_out, limit_chars - _size(parts) - 1))
    return "\n".join(parts)[:limit_chars]


def _share(room: int, groups_left: int) -> int:
    """A fair part of the room for the next group (what it leaves unused flows on)."""
    return max(room // groups_left, min(room, _MIN_SHARE))


def _group(failures: Sequence[Failure]) -> list[_Group]:
    groups: list[_Group] = []
    for failure in failures:
        home = next((g for g in groups if g.matches(failure)), None)
        if home is None:
            groups.append(_Group(failure))
        else:
            home.others.append(failure.test_id)
    return groups


def _render(group: _Group, number: int, budget: int) -> str | None:
    """The group in full, else with a shorter excerpt, else None when even that does not fit."""
    failure = group.first
    where = f" at {failure.file}:{failure.line}" if failure.file and failure.line else ""
    lines = [f"{number}. {failure.test_id} [{failure.kind}]{where}"]
    if group.others:
        lines.append(f"   same failure in {len(group.others)} more: {_ids(group.others, 160)}")
    fixed = "\n".join(lines) + "\n"
    excerpt = failure.excerpt if failure.message[:60] in failure.excerpt else f"{failure.message}\n{failure.excerpt}"
    room = budget - len(fixed)
    if room < min(len(failure.message), 200) + 10:
        return None
    body = clip_lines(excerpt.splitlines(), failure.message, room - 3 * (excerpt.count("\n") + 1))
    return fixed + "\n".join("   " + line for line in body.splitlines())


def _note(left_out: list[_Group], room: int) -> str:
    count = sum(1 + len(g.others) for g in left_out)
    ids = [g.first.test_id for g in left_out] + [i for g in left_out for i in g.others]
    text = f"[truncated: {count} more failing not shown: "
    return text + _ids(ids, max(room - len(text) - 1, 0)) + "]"


def _ids(ids: list[str], room: int) -> str:
    out = ""
    for index, test_id in enumerate(ids):
        candidate = f"{out}, {test_id}" if out else test_id
        if len(candidate) > room - 16:
            return f"{out}, and {len(ids) - index} more" if out else f"{len(ids)} tests"
        out = candidate
    return out


def _size(parts: list[str]) -> int:
    return len("\n".join(parts)) + 1
