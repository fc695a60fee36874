"""The matching ladder: where a SEARCH block sits in a file, and the file after its REPLACE.

Rungs, in order; the first that finds anything decides, and it must find exactly one place:
exact lines; trailing whitespace ignored; a consistent indentation change (re-applied to
the replacement); blank lines ignored; tabs for the model's spaces; `...` elision lines (the
elided middle is kept); the closest window by edit distance (ratio >= 0.9 and clearly ahead
of the runner-up). Lines the REPLACE leaves as in SEARCH are copied from the file itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from difflib import SequenceMatcher

from skills.edit import fuzzy
from skills.edit.indent import IDENTITY, Reindent, consistent, majority, merged

ELISION = re.compile(
    r"^\s*(?:(?:#|//|/\*|<!--|--|;)\s*)?(?:\.\.\.|…)(?:\s.*)?$"
    r"|^\s*(?:#|//|/\*)\s*(?:\.\.\.\s*)?[(\[]?(?:rest of|existing|unchanged|remaining|other)\b.*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Span:
    """File lines [start, end) matched; `ranges[k]` are the file lines search line k stands for."""

    start: int
    end: int
    ranges: tuple[tuple[int, int], ...]
    shift: Reindent = IDENTITY
    rung: str = "exact"


class NoMatch(Exception):
    def __init__(self, closest: tuple[float, int, int] | None) -> None:
        super().__init__("no match")
        self.closest = closest


class Ambiguous(Exception):
    def __init__(self, spans: list[tuple[int, int]], rung: str) -> None:
        super().__init__("ambiguous")
        self.spans = spans
        self.rung = rung


class BadBlock(Exception):
    """A block that can never apply as written (the message says why)."""


def is_elision(line: str) -> bool:
    return bool(ELISION.match(line))


def apply_block(flines: list[str], search: list[str], replace: list[str]) -> list[str]:
    """The file's lines after one SEARCH/REPLACE; raises NoMatch, Ambiguous or BadBlock."""
    slines, rlines = _trim_pair(search, replace)
    if not any(line.strip() for line in slines):
        raise BadBlock("its SEARCH part is empty; to create a file use an empty SEARCH "
                       "with a path that does not exist yet")
    slines, rlines, span = _locate(flines, slines, rlines)
    return flines[: span.start] + _rebuild(flines, span, slines, rlines) + flines[span.end :]


def _trim_pair(search: list[str], replace: list[str]) -> tuple[list[str], list[str]]:
    """Drop blank lines (and `...` lines) at the edges of SEARCH, and as many from REPLACE."""
    s, r = list(search), list(replace)
    for edge in (0, -1):
        while s and not s[edge].strip():
            s.pop(edge)
            if r and not r[edge].strip():
                r.pop(edge)
        while s and is_elision(s[edge]) and len(s) > 1:
            s.pop(edge)
            if r and is_elision(r[edge]):
                r.pop(edge)
            while s and not s[edge].strip():
                s.pop(edge)
        if s and r and is_elision(r[edge]) and r[edge].strip() != "..." and not is_elision(s[edge]):
            r.pop(edge)
    return s, r


def _locate(flines: list[str], slines: list[str], rlines: list[str]):
    rungs: list[tuple[str, Callable[[list[str], list[str]], list[Span]]]] = [
        ("exact", lambda f, s: _windows(f, s, lambda a, b: a == b)),
        ("whitespace", lambda f, s: _windows(f, s, lambda a, b: a.rstrip() == b.rstrip())),
        ("indent", _indent_windows),
        ("blank lines", lambda f, s: _blank_tolerant(f, s, 0)),
    ]
    for name, rung in rungs:
        spans = rung(flines, slines)
        if spans:
            return slines, rlines, _one(spans, name)
    for width in (4, 2, 8):
        if _uses_tabs(flines) and not any(line.startswith("\t") for line in slines):
            s2, r2 = _to_tabs(slines, width), _to_tabs(rlines, width)
            spans = _blank_tolerant(flines, s2, 0)
            if spans:
                return s2, r2, _one(spans, "tabs")
    if any(is_elision(line) for line in slines):
        spans = _elided(flines, slines)
        if spans:
            return slines, rlines, _one(spans, "elision")
        raise NoMatch(fuzzy.closest(flines, [s for s in slines if not is_elision(s)]))
    return slines, rlines, _fuzzy(flines, slines)


def _one(spans: list[Span], rung: str) -> Span:
    if len(spans) > 1:
        raise Ambiguous([(s.start, s.end) for s in spans], rung)
    return spans[0]


def _windows(flines: list[str], slines: list[str], same: Callable[[str, str], bool]) -> list[Span]:
    n = len(slines)
    spans = []
    for i in range(len(flines) - n + 1):
        if all(same(flines[i + k], slines[k]) for k in range(n)):
            spans.append(Span(i, i + n, tuple((i + k, i + k + 1) for k in range(n))))
    return spans


def _indent_windows(flines: list[str], slines: list[str]) -> list[Span]:
    n = len(slines)
    spans = []
    for i in range(len(flines) - n + 1):
        shift = consistent(list(zip(flines[i : i + n], slines)))
        if shift is not None:
            ranges = tuple((i + k, i + k + 1) for k in range(n))
            spans.append(Span(i, i + n, ranges, shift, "indent"))
    return spans


def _blank_tolerant(flines: list[str], slines: list[str], lo: int) -> list[Span]:
    """Matches of the non-blank SEARCH lines against the non-blank file lines from `lo` on."""
    fidx = [i for i in range(lo, len(flines)) if flines[i].strip()]
    sidx = [k for k, line in enumerate(slines) if line.strip()]
    m = len(sidx)
    spans = []
    for p in range(len(fidx) - m + 1):
        hit = fidx[p : p + m]
        shift = consistent([(flines[f], slines[k]) for f, k in zip(hit, sidx)])
        if shift is None:
            continue
        ends = hit[1:] + [hit[-1] + 1]
        where = {k: (f, e) for k, f, e in zip(sidx, hit, ends)}
        ranges, last = [], hit[0]
        for k in range(len(slines)):
            ranges.append(where.get(k, (last, last)))
            last = ranges[-1][1] if k in where else last
        spans.append(Span(hit[0], hit[-1] + 1, tuple(ranges), shift, "blank lines"))
    return spans


def _uses_tabs(flines: list[str]) -> bool:
    return any(line.startswith("\t") for line in flines)


def _to_tabs(lines: list[str], width: int) -> list[str]:
    out = []
    for line in lines:
        body = line.lstrip(" ")
        spaces = len(line) - len(body)
        out.append("\t" * (spaces // width) + " " * (spaces % width) + body)
    return out


def _elided(flines: list[str], slines: list[str]) -> list[Span]:
    """Matches of the parts of SEARCH between `...` lines, in order; the gaps are kept."""
    groups, current = [], []
    for k, line in enumerate(slines):
        if is_elision(line):
            groups.append(current)
            current = []
        else:
            current.append(k)
    groups.append(current)
    groups = [g for g in groups if any(slines[k].strip() for k in g)]
    results = []
    for first in _blank_tolerant(flines, [slines[k] for k in groups[0]], 0):
        chain, shift = [first], first.shift
        for group in groups[1:]:
            nxt = _blank_tolerant(flines, [slines[k] for k in group], chain[-1].end)
            shift = merged(shift, nxt[0].shift) if nxt and shift else None
            if shift is None:
                break
            chain.append(nxt[0])
        if len(chain) == len(groups):
            results.append(_join(chain, groups, len(slines), shift))
    return results


def _join(chain: list[Span], groups: list[list[int]], n: int, shift: Reindent) -> Span:
    where: dict[int, tuple[int, int]] = {}
    for span, group in zip(chain, groups):
        where.update(zip(group, span.ranges))
    ranges, g = [], 0
    for k in range(n):
        if k in where:
            ranges.append(where[k])
            g = next(i for i, grp in enumerate(groups) if k in grp)
        elif g + 1 < len(chain) and (not ranges or ranges[-1][1] <= chain[g + 1].start):
            gap = (chain[g].end, chain[g + 1].start)
            ranges.append(gap if not ranges or ranges[-1] != gap else (gap[1], gap[1]))
        else:
            ranges.append((ranges[-1][1], ranges[-1][1]))
    return Span(chain[0].start, chain[-1].end, tuple(ranges), shift, "elision")


def _fuzzy(flines: list[str], slines: list[str]) -> Span:
    found = fuzzy.best_window(flines, slines)
    if found is None:
        raise NoMatch(fuzzy.closest(flines, slines))
    (score, start), runner = found
    n = len(slines)
    if runner is not None and runner[0] > score - fuzzy.MARGIN:
        raise Ambiguous([(start, start + n), (runner[1], runner[1] + n)], "closest match")
    shift = majority(list(zip(flines[start : start + n], slines)))
    ranges = tuple((start + k, start + k + 1) for k in range(n))
    return Span(start, start + n, ranges, shift, "closest match")


def _keys(lines: list[str]) -> list[str]:
    keys, count = [], 0
    for line in lines:
        if is_elision(line):
            keys.append(f"\0elided {count}")
            count += 1
        else:
            keys.append(line.rstrip())
    return keys


def _rebuild(flines: list[str], span: Span, slines: list[str], rlines: list[str]) -> list[str]:
    """The REPLACE lines, re-indented; lines kept from SEARCH are copied from the file."""
    skeys, rkeys = _keys(slines), _keys(rlines)
    matcher = SequenceMatcher(None, skeys, rkeys, autojunk=False)
    out: list[str] = []
    kept_elisions = 0
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for k in range(i1, i2):
                a, b = span.ranges[k]
                out.extend(flines[a:b])
                kept_elisions += span.rung == "elision" and is_elision(slines[k])
        else:
            out.extend(span.shift.apply(line) for line in rlines[j1:j2])
            out.extend(_blank_tail(flines, span, i1, i2))
    if span.rung == "elision" and kept_elisions < sum(map(is_elision, slines)):
        raise BadBlock("its SEARCH skips lines with `...` but its REPLACE does not keep the "
                       "same `...` lines; write both parts with the same `...` lines, or "
                       "copy the skipped lines out in full")
    return out


def _blank_tail(flines: list[str], span: Span, i1: int, i2: int) -> list[str]:
    """File blank lines that SEARCH skipped after lines now replaced: they stay."""
    tail: list[str] = []
    for k in range(i1, i2):
        a, b = span.ranges[k]
        tail += [line for line in flines[a + 1 : b] if not line.strip()]
    return tail
