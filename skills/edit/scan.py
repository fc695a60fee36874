"""One pass over a reply: SEARCH/REPLACE blocks, code fences, and what each line is."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from skills.edit.types import EditError

SEARCH = re.compile(r"^\s*<{5,9}\s*(?:SEARCH|ORIGINAL)\s*$", re.IGNORECASE)
DIVIDER = re.compile(r"^\s*={5,9}\s*$")
REPLACE = re.compile(r"^\s*>{5,9}\s*(?:REPLACE|UPDATED)?\s*$", re.IGNORECASE)
FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*(.*?)\s*$")


@dataclass
class Block:
    """A SEARCH/REPLACE block; `line` is the index of its SEARCH marker."""

    line: int
    search: list[str]
    replace: list[str]


@dataclass
class Fence:
    """A fenced code block without SEARCH/REPLACE markers; `line` is its opening fence."""

    line: int
    info: str
    body: list[str]

    @property
    def lang(self) -> str:
        first = self.info.split()[0] if self.info.split() else ""
        return first.split(":")[0].lower() if "=" not in first else ""


@dataclass
class Scan:
    lines: list[str]
    kinds: list[str]  # text | open | close | body | block, per line
    infos: dict[int, str] = field(default_factory=dict)  # opening fence line -> info
    blocks: list[Block] = field(default_factory=list)
    fences: list[Fence] = field(default_factory=list)


class Unclosed(EditError):
    """A SEARCH/REPLACE block whose ======= or >>>>>>> REPLACE line is missing."""

    def __init__(self, line: int, missing: str) -> None:
        super().__init__(missing)
        self.line, self.missing = line, missing


def scan(lines: list[str]) -> Scan:
    """Classify every line; raises Unclosed for a block that is not closed."""
    result = Scan(lines, ["text"] * len(lines))
    fence: Fence | None = None
    has_block = False
    i = 0
    while i < len(lines):
        if SEARCH.match(lines[i]):
            i = _read_block(result, i)
            has_block = True
            continue
        m = FENCE.match(lines[i])
        if m and fence is None:
            fence, has_block = Fence(i, m.group(2), []), False
            result.kinds[i], result.infos[i] = "open", m.group(2)
        elif m and not m.group(2):
            result.kinds[i] = "close"
            if not has_block:
                result.fences.append(fence)
            fence = None
        elif fence is not None:
            result.kinds[i] = "body"
            fence.body.append(lines[i])
        i += 1
    if fence is not None and not has_block:
        result.fences.append(fence)
    return result


def _read_block(result: Scan, start: int) -> int:
    """Record the block at `start`; the index after its REPLACE marker."""
    lines = result.lines
    divider = _find(lines, start, start + 1, DIVIDER, "a `=======` line between SEARCH and REPLACE")
    end = _find(lines, start, divider + 1, REPLACE, "a closing `>>>>>>> REPLACE` line")
    result.blocks.append(Block(start, lines[start + 1 : divider], lines[divider + 1 : end]))
    for k in range(start, end + 1):
        result.kinds[k] = "block"
    return end + 1


def _find(lines: list[str], start: int, i: int, marker: re.Pattern[str], what: str) -> int:
    while i < len(lines):
        if marker.match(lines[i]):
            return i
        if SEARCH.match(lines[i]) or (marker is DIVIDER and REPLACE.match(lines[i])):
            break
        i += 1
    raise Unclosed(start, what)
