"""Closest-window search by edit distance (difflib ratio over windows of the same line count)."""

from __future__ import annotations

from difflib import SequenceMatcher

THRESHOLD = 0.9
MARGIN = 0.05


def _text(lines: list[str]) -> str:
    return "\n".join(line.strip() for line in lines)


def _windows(flines: list[str], size: int) -> range:
    return range(max(1, len(flines) - size + 1))


def scored_windows(flines: list[str], slines: list[str], floor: float) -> list[tuple[float, int]]:
    """(ratio, start) of every window of len(slines) lines alike at least `floor`."""
    size = len(slines)
    matcher = SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(_text(slines))
    found = []
    for start in _windows(flines, size):
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
    size = len(slines)
    matcher = SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(_text(slines))
    best = (-1.0, 0)
    for start in _windows(flines, size):
        matcher.set_seq1(_text(flines[start : start + size]))
        if matcher.real_quick_ratio() <= best[0] or matcher.quick_ratio() <= best[0]:
            continue
        ratio = matcher.ratio()
        if ratio > best[0]:
            best = (ratio, start)
    ratio, start = best
    return max(ratio, 0.0), start, min(len(flines), start + size)


def best_window(
    flines: list[str], slines: list[str]
) -> tuple[tuple[float, int], tuple[float, int] | None] | None:
    """The best window above THRESHOLD and the best one not overlapping it (runner-up)."""
    found = scored_windows(flines, slines, THRESHOLD - MARGIN)
    if not found:
        return None
    found.sort(reverse=True)
    best = found[0]
    if best[0] < THRESHOLD:
        return None
    size = len(slines)
    others = [f for f in found[1:] if abs(f[1] - best[1]) >= size]
    return best, (others[0] if others else None)
