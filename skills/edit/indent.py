"""Indentation drift: how the model's indentation maps onto the file's, and re-applying it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

TAB = 4


def leading(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def width(indent: str) -> int:
    return len(indent.expandtabs(TAB))


@dataclass(frozen=True)
class Reindent:
    """Search indentation -> file indentation, learned from matched lines; empty = unchanged."""

    table: tuple[tuple[str, str], ...] = ()

    @property
    def identity(self) -> bool:
        return all(s == f for s, f in self.table)

    def apply(self, line: str) -> str:
        """A REPLACE line with the file's indentation."""
        if self.identity:
            return line
        if not line.strip():
            return ""
        indent, body = leading(line), line.lstrip()
        known = dict(self.table)
        return (known[indent] if indent in known else self._extrapolate(indent)) + body

    def _extrapolate(self, indent: str) -> str:
        """An indentation the matched lines did not show, by the line through the known ones."""
        pairs = sorted((width(s), width(f)) for s, f in self.table)
        (s0, f0), (s1, f1) = pairs[0], pairs[-1]
        scale = (f1 - f0) / (s1 - s0) if s1 != s0 else 1.0
        new = max(0, round(f0 + (width(indent) - s0) * scale))
        tabs = any(f.startswith("\t") for _, f in self.table)
        return "\t" * (new // TAB) + " " * (new % TAB) if tabs else " " * new


IDENTITY = Reindent()


def consistent(pairs: list[tuple[str, str]]) -> Reindent | None:
    """The mapping when (file line, search line) pairs differ only in indentation, and do so
    consistently (each search indentation to one file indentation, order kept); else None."""
    table: dict[str, str] = {}
    for fline, sline in pairs:
        if fline.strip() != sline.strip():
            return None
        if not fline.strip():
            continue
        s, f = leading(sline), leading(fline)
        if table.setdefault(s, f) != f:
            return None
    return _ordered(table)


def majority(pairs: list[tuple[str, str]]) -> Reindent:
    """The most common file indentation per search indentation (for near-miss windows)."""
    votes: dict[str, Counter[str]] = {}
    for fline, sline in pairs:
        if fline.strip() and sline.strip():
            votes.setdefault(leading(sline), Counter())[leading(fline)] += 1
    table = {s: c.most_common(1)[0][0] for s, c in votes.items()}
    return _ordered(table) or IDENTITY


def _ordered(table: dict[str, str]) -> Reindent | None:
    items = sorted(table.items(), key=lambda kv: width(kv[0]))
    widths = [width(f) for _, f in items]
    if any(a >= b for a, b in zip(widths, widths[1:])):
        return None
    return Reindent(tuple(items))


def merged(a: Reindent, b: Reindent) -> Reindent | None:
    """One mapping holding both, or None when they disagree."""
    table = dict(a.table)
    for s, f in b.table:
        if table.setdefault(s, f) != f:
            return None
    return _ordered(table)
