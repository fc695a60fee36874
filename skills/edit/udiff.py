"""Unified diffs as edits: each hunk becomes a SEARCH/REPLACE applied by content, not line number."""

from __future__ import annotations

from collections.abc import Sequence

from skills.edit.paths import resolve
from skills.edit.types import Edit, EditError

_META = ("diff ", "index ", "new file", "deleted file", "similarity", "rename ", "old mode",
         "new mode", "Binary files")


def looks_like_diff(lines: Sequence[str]) -> bool:
    """True when the lines hold a hunk header and +/- lines."""
    has_hunk = any(line.startswith("@@") for line in lines)
    has_change = any(line[:1] in "+-" and not line.startswith(("+++", "---")) for line in lines)
    return has_hunk and has_change


def diff_region(lines: Sequence[str], start: int) -> int:
    """The end (exclusive) of a raw diff that starts at `start`: the first line diffs never hold."""
    end = start
    while end < len(lines):
        line = lines[end]
        if line and line[0] not in " +-@\\" and not line.startswith(_META):
            break
        end += 1
    return end


def parse_diff(lines: Sequence[str], default_path: str | None, known: Sequence[str]) -> list[Edit]:
    """Edits from a unified diff; `default_path` serves hunks that come without ---/+++ lines."""
    edits: list[Edit] = []
    path, create, created, skip = default_path, False, [], False
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "):
            if create and path:
                edits.append(Edit(path, "", _joined(created), "create"))
            path, create, deleted = _headers(line[4:], lines[i + 1][4:], known)
            created, skip = [], deleted is not None
            if deleted:
                edits.append(Edit(deleted, "", "", "delete"))
            i += 2
            continue
        if line.startswith("@@"):
            hunk, i = _read_hunk(lines, i + 1)
            if skip:
                continue
            if path is None:
                raise EditError("A diff hunk has no file path: start the diff with "
                                "`--- a/path` and `+++ b/path` lines.")
            if create:
                created += [text for tag, text in hunk if tag == "+"]
            else:
                edits.append(_hunk_edit(path, hunk, len(edits) + 1))
            continue
        i += 1
    if create and path:
        edits.append(Edit(path, "", _joined(created), "create"))
    return edits


def _headers(old: str, new: str, known: Sequence[str]) -> tuple[str | None, bool, str | None]:
    """(path to edit, whether it is created, path deleted) from the ---/+++ lines."""
    old, new = old.split("\t")[0].strip(), new.split("\t")[0].strip()
    git_style = (old.startswith("a/") or old == "/dev/null") and (
        new.startswith("b/") or new == "/dev/null"
    )
    if git_style:
        old = old[2:] if old.startswith("a/") else old
        new = new[2:] if new.startswith("b/") else new
    if new == "/dev/null":
        return None, False, resolve(old, known)
    return resolve(new, known), old == "/dev/null", None


def _read_hunk(lines: Sequence[str], i: int) -> tuple[list[tuple[str, str]], int]:
    hunk: list[tuple[str, str]] = []
    while i < len(lines):
        line = lines[i]
        if line.startswith("@@") or line.startswith("diff "):
            break
        if line.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "):
            break
        if line.startswith("\\"):
            pass
        elif line[:1] in ("+", "-", " "):
            hunk.append((line[0], line[1:]))
        else:
            hunk.append((" ", line))
        i += 1
    while hunk and hunk[-1] == (" ", ""):
        hunk.pop()
    return hunk, i


def _hunk_edit(path: str, hunk: list[tuple[str, str]], number: int) -> Edit:
    search = [text for tag, text in hunk if tag in " -"]
    replace = [text for tag, text in hunk if tag in " +"]
    if not any(line.strip() for line in search):
        raise EditError(f"{path}: hunk {number} of the diff has no unchanged or removed lines, "
                        "so there is no way to tell where it goes; include 2-3 unchanged lines "
                        "around the change.")
    return Edit(path, _joined(search), _joined(replace), "replace")


def _joined(lines: list[str]) -> str:
    return "\n".join(lines) + "\n" if lines else ""
