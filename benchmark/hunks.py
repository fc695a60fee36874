"""A candidate's diff as the parts it can be cut into, and a diff of any subset of them.

A part is one `@@` hunk of a modified text file; a new, deleted, renamed or binary file is one
part whole. `git apply` finds each hunk by its context, so a subset applies cleanly on the
tree the whole diff was made from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Part:
    path: str
    header: str  # the file's `diff --git` lines up to its first hunk
    body: str  # one hunk (or the whole rest, for an atomic file)
    index: int  # position in the whole diff

    def describe(self) -> str:
        first = self.body.splitlines()[0] if self.body else ""
        where = first.split("@@")[1].strip() if first.startswith("@@") else "whole file"
        return f"{self.path} ({where})"


def split_diff(diff: str) -> list[Part]:
    parts: list[Part] = []
    for chunk in _files(diff):
        header, hunks = _hunks(chunk)
        path = _path(header)
        atomic = any(word in header for word in ("new file mode", "deleted file mode", "rename from",
                                                  "GIT binary patch", "Binary files")) or not hunks
        bodies = ["".join(hunks)] if atomic else hunks
        if atomic and not hunks:
            header, bodies = chunk, [""]
        parts += [Part(path, header, body, len(parts) + n) for n, body in enumerate(bodies)]
    return parts


def join_parts(parts: Iterable[Part]) -> str:
    """The diff of these parts only (in their original order, one header per file)."""
    out, last_header = [], None
    for part in sorted(parts, key=lambda p: p.index):
        if part.header != last_header:
            out.append(part.header)
            last_header = part.header
        out.append(part.body)
    text = "".join(out)
    return text if text.endswith("\n") or not text else text + "\n"


def _files(diff: str) -> list[str]:
    chunks, current = [], []
    for line in diff.splitlines(keepends=True):
        if line.startswith("diff --git ") and current:
            chunks.append("".join(current))
            current = []
        current.append(line)
    if current:
        chunks.append("".join(current))
    return [c for c in chunks if c.startswith("diff --git ")]


def _hunks(chunk: str) -> tuple[str, list[str]]:
    lines = chunk.splitlines(keepends=True)
    first = next((i for i, ln in enumerate(lines) if ln.startswith("@@")), len(lines))
    header, hunks, current = "".join(lines[:first]), [], []
    for line in lines[first:]:
        if line.startswith("@@") and current:
            hunks.append("".join(current))
            current = []
        current.append(line)
    if current:
        hunks.append("".join(current))
    return header, hunks


def _path(header: str) -> str:
    first = header.splitlines()[0]  # diff --git a/x b/x
    return first.split(" b/", 1)[1] if " b/" in first else first.split()[-1]
