"""Closest-window search by edit distance (difflib ratio over windows of the same line count).

Small files score every window; in large ones a token count over a sliding window picks the
candidates first, so a miss in a 5,000-line file stays well under a second.
"""

from __future__ import annotations

import re
from collections import Counter
from difflib import SequenceMatcher

THRESHOLD = 0.9
MARGIN = 0.05
SCORE_ALL_UP_TO = 150
CANDIDATES = 40
_TOKEN = re.compile(r"\w+|[^\w\s]")


def _text(lines: list[str]) -> str:
    return "\n".join(line.strip() for line in lines)


def _starts(flines: list[str], size: int) -> list[int]:
    return list(range(max(1, len(flines) - size + 1)))


def _candidates(flines: list[str], slines: list[str]) -> list[int]:
    """Window starts worth scoring: all of them, or the ones sharing the most tokens."""
    starts = _starts(flines, len(slines))
    if len(starts) <= SCORE_ALL_UP_TO:
        return starts
    want = Counter(t for line in slines for t in _TOKEN.findall(line))
    per_line = [Counter(_TOKEN.findall(line)) for line in flines]
    window: Counter[str] = Counter()
    for line in per_line[: len(slines)]:
        window.update(line)
    shared = []
    for start in starts:
        if start:
            window.subtract(per_line[start - 1])
            window.update(per_line[start + len(slines) - 1])
        shared.append((sum(min(n, window[t]) for t, n in want.items()), start))
    shared.sort(reverse=True)
    return sorted(start for _, start in shared[:CANDIDATES])


def _scores(flines: list[str], slines: list[str], floor: float) -> list[tuple[float, int]]:
    """(ratio, start) of the candidate windows alike at least `floor`."""
    size = len(slines)
    matcher = SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(_text(slines))
    found = []
    for start in _candidates(flines, slines):
        matcher.set_seq1(_text(flines[start : start + size]))
        if matcher.real_quick_ratio() < floor or matcher.quick_ratio() < floor:
            continue
        ratio = matcher.ratio()
        if ratio >= floor:
            found.append((ratio, start))
    return found


def closest(flines: list[str], slines: list[str]) -> tuple[float, int, int] | None:
    """The most alike window as (ratio, start, end), however weak; None for an empty file."""
    if not flines or not slines:
        return None
    ratio, start = max(_scores(flines, slines, 0.0), default=(0.0, 0))
    return ratio, start, min(len(flines), start + len(slines))


def best_window(
    flines: list[str], slines: list[str]
) -> tuple[tuple[float, int], tuple[float, int] | None] | None:
    """The best window above THRESHOLD and the best one not overlapping it (runner-up)."""
    found = sorted(_scores(flines, slines, THRESHOLD - MARGIN), reverse=True)
    if not found or found[0][0] < THRESHOLD:
        return None
    best = found[0]
    others = [f for f in found[1:] if abs(f[1] - best[1]) >= len(slines)]
    return best, (others[0] if others else None)
