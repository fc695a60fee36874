"""Cut text to a character budget without losing the line that matters."""

from __future__ import annotations

import re

# Lines worth keeping when an excerpt is clipped, best first: the gist of an assertion diff,
# the failing source line, frames, then the changed lines of a diff.
_IMPORTANT = tuple(
    re.compile(pattern)
    for pattern in (
        r"^\s*(At index|Differing items|Left contains|Right contains|Extra items|where )",
        r"^>",
        r"^\S[^:]*\.py:\d+:",
        r"^\s*[-+?] ",
    )
)


def clip_lines(lines: list[str], key: str, limit: int) -> str:
    """Join `lines` within `limit` chars, always keeping the line that holds `key`."""
    probe = key[:60]
    key_at = next((i for i, line in enumerate(lines) if probe and probe in line), len(lines) - 1)
    lines = [clip_line(line, max(limit * 2 // 3 if i == key_at else limit // 2, 40)) for i, line in enumerate(lines)]
    text = "\n".join(lines)
    if len(text) <= limit:
        return text
    chosen = {key_at}
    important = [i for pattern in _IMPORTANT for i, line in enumerate(lines) if pattern.match(line)]
    nearest = sorted(range(len(lines)), key=lambda i: abs(i - key_at))
    for index in important + nearest:
        if index not in chosen and _joined_len(lines, chosen | {index}) <= limit:
            chosen.add(index)
    return _join_with_gaps(lines, sorted(chosen))


def _joined_len(lines: list[str], chosen: set[int]) -> int:
    return len(_join_with_gaps(lines, sorted(chosen)))


def _join_with_gaps(lines: list[str], chosen: list[int]) -> str:
    out: list[str] = []
    previous = -1
    for index in chosen:
        if index > previous + 1:
            out.append(f"... [{index - previous - 1} lines cut]")
        out.append(lines[index])
        previous = index
    if previous < len(lines) - 1:
        out.append(f"... [{len(lines) - 1 - previous} lines cut]")
    return "\n".join(out)


def clip_line(line: str, limit: int) -> str:
    if len(line) <= limit:
        return line
    half = (limit - 20) // 2
    return f"{line[:half]} ...[{len(line) - 2 * half} chars]... {line[-half:]}"
