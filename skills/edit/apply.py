"""Applying edits: every edit planned in memory and validated first, then all written or none."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

from skills.edit import match, validate
from skills.edit.paths import clean, safe_target
from skills.edit.textio import FileText, decode, encode, split_lines, write_atomic
from skills.edit.types import MAX_CHANGED_LINES, ApplyResult, Edit, EditError

QUOTE_LINES = 8


@dataclass
class _File:
    rel: str
    target: Path
    before: bytes | None  # None: the file did not exist
    current: FileText | None  # None: absent now
    failed: bool = False

    def after(self) -> bytes | None:
        return None if self.current is None else encode(self.current)


def apply_edits(root: Path, edits: Sequence[Edit], *, dry_run: bool = False) -> ApplyResult:
    """Apply all edits or none; errors are returned (for the model), never raised."""
    root = Path(root)
    files: dict[Path, _File] = {}
    errors: list[str] = []
    for number, edit in enumerate(edits, 1):
        try:
            state = _state(root, edit.path, files)
        except EditError as exc:
            errors.append(str(exc))
            continue
        try:
            _apply_one(state, edit, number)
        except EditError as exc:
            state.failed = True
            errors.append(str(exc))
    errors += _final_checks(list(files.values())) if not errors else []
    if errors:
        return ApplyResult((), tuple(errors))
    changed = [f for f in files.values() if f.after() != f.before]
    if not changed:
        return ApplyResult((), ("The edits change nothing: every REPLACE equals its SEARCH. "
                                "Send edits whose REPLACE differs from the current lines.",))
    if not dry_run:
        problem = _write_all(changed)
        if problem:
            return ApplyResult((), (problem,))
    return ApplyResult(tuple(f.rel for f in changed), ())


def _state(root: Path, raw: str, files: dict[Path, _File]) -> _File:
    rel = clean(raw)
    target = safe_target(root, rel)
    if target not in files:
        if target.is_dir():
            raise EditError(f"{rel}: is a directory, not a file; name a file inside it.")
        before = target.read_bytes() if target.exists() else None
        if before is not None and b"\0" in before[:8192]:
            raise EditError(f"{rel}: is a binary file; it cannot be edited as text.")
        current = decode(before) if before is not None else None
        files[target] = _File(rel, target, before, current)
    return files[target]


def _apply_one(state: _File, edit: Edit, number: int) -> None:
    rel, cur = state.rel, state.current
    new_lines, _ = split_lines(edit.replace.replace("\r\n", "\n"))
    if edit.kind == "delete":
        if cur is None:
            raise EditError(f"{rel}: edit {number} deletes it, but there is no such file.")
        state.current = None
    elif edit.kind == "whole" or (edit.kind == "create" and cur is None):
        _check_whole(rel, cur, new_lines, number)
        state.current = (cur or FileText(())).with_lines(new_lines)
    elif edit.kind == "create" or not edit.search.strip():
        _create_existing(rel, cur, new_lines, number)
    else:
        if cur is None:
            raise EditError(f"{rel}: edit {number} searches in a file that does not exist. "
                            "Check the path; to create the file, use an empty SEARCH part.")
        search, _ = split_lines(edit.search.replace("\r\n", "\n"))
        state.current = cur.with_lines(_replaced(rel, list(cur.lines), search, new_lines, number))


def _create_existing(rel: str, cur: FileText | None, new_lines: list[str], number: int) -> None:
    if cur is None:
        raise AssertionError("handled by the caller")
    if [line.rstrip() for line in cur.lines] != [line.rstrip() for line in new_lines]:
        raise EditError(
            f"{rel}: edit {number} creates it (empty SEARCH), but the file already exists "
            f"({len(cur.lines)} lines). To change it, SEARCH for the lines to change."
        )


def _check_whole(rel: str, cur: FileText | None, new_lines: list[str], number: int) -> None:
    """Refuse a 'whole file' that is really a fragment or skips code with `...` lines."""
    if cur is None:
        return
    old = {line.strip() for line in cur.lines}
    elided = [n for n, line in enumerate(new_lines, 1)
              if match.is_elision(line) and line.strip() not in old]
    if elided:
        raise EditError(f"{rel}: edit {number} gives the whole file, but line {elided[0]} "
                        f"(`{new_lines[elided[0] - 1].strip()}`) stands for code left out; "
                        "writing it would delete that code. Send the complete file or "
                        "SEARCH/REPLACE blocks.")
    if _unlike(list(cur.lines), new_lines):
        raise EditError(f"{rel}: edit {number} gives a whole new text for it that shares almost "
                        "nothing with the current file; it looks like an example or a different "
                        "file. Name the file it belongs to, or send SEARCH/REPLACE blocks.")
    if len(cur.lines) >= 20 and len(new_lines) * 2 < len(cur.lines):
        raise EditError(f"{rel}: edit {number} gives {len(new_lines)} lines as the whole file, "
                        f"but the file has {len(cur.lines)}; it looks like a fragment. Send "
                        "SEARCH/REPLACE blocks for the lines to change, or the complete file.")


def _unlike(old: list[str], new: list[str]) -> bool:
    """True when a file of 5+ code lines would be replaced by text sharing under 30% of it."""
    old_code = [line.strip() for line in old if line.strip()]
    new_code = [line.strip() for line in new if line.strip()]
    if len(old_code) < 5:
        return False
    return SequenceMatcher(None, old_code, new_code, autojunk=False).ratio() < 0.3


def _replaced(rel: str, flines: list[str], search: list[str], rlines: list[str], number: int):
    what = f"{rel}: the SEARCH block of edit {number}"
    try:
        return match.apply_block(flines, search, rlines)
    except match.NoMatch as exc:
        raise EditError(f"{what} matches no lines{_closest(flines, exc.closest)}\n"
                        "Copy the SEARCH lines exactly as they are in the file.") from None
    except match.Ambiguous as exc:
        places = ", ".join(_lines(a, b) for a, b in exc.spans[:6])
        raise EditError(f"{what} matches {len(exc.spans)} places ({places}). Add unchanged "
                        "lines around it so that it matches exactly one place.") from None
    except match.BadBlock as exc:
        raise EditError(f"{what} cannot be applied: {exc}.") from None


def _lines(start: int, end: int) -> str:
    return f"line {end}" if end - start == 1 else f"lines {start + 1}-{end}"


def _closest(flines: list[str], closest: tuple[float, int, int] | None) -> str:
    if closest is None:
        return " (the file is empty)."
    score, start, end = closest
    shown = flines[start : min(end, start + QUOTE_LINES)]
    quoted = "\n".join(f"{start + i + 1:>5} | {line}" for i, line in enumerate(shown))
    more = "\n      | ..." if end - start > QUOTE_LINES else ""
    return f". Closest lines ({round(score * 100)}% alike), lines {start + 1}-{end}:\n{quoted}{more}"


def _final_checks(files: list[_File]) -> list[str]:
    errors, changed_lines = [], 0
    for f in files:
        if f.current is None:
            changed_lines += len(decode(f.before).lines) if f.before is not None else 0
            continue
        try:
            f.after()
        except UnicodeEncodeError:
            errors.append(f"{f.rel}: the file is {f.current.encoding}-encoded and the new text "
                          "has characters it cannot hold; use plain ASCII in this file.")
            continue
        errors += _syntax(f)
        old = list(decode(f.before).lines) if f.before is not None else []
        changed_lines += _count_changed(old, list(f.current.lines))
    if changed_lines > MAX_CHANGED_LINES:
        errors.append(f"The edits change {changed_lines} lines, over the limit of "
                      f"{MAX_CHANGED_LINES}; make a smaller change.")
    return errors


def _syntax(f: _File) -> list[str]:
    assert f.current is not None
    now = validate.problem(f.rel, f.current.text())
    if now is None:
        return []
    if f.before is not None and validate.problem(f.rel, decode(f.before).text()) is not None:
        return []  # it was not valid before either: not this edit's fault
    return [f"{f.rel}: after the edits the file {now}\nFix the edit so the file stays valid."]


def _count_changed(old: list[str], new: list[str]) -> int:
    ops = SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    return sum((i2 - i1) + (j2 - j1) for tag, i1, i2, j1, j2 in ops if tag != "equal")


def _write_all(changed: list[_File]) -> str | None:
    """Write every file; on an OS error put back the ones already written."""
    done: list[_File] = []
    try:
        for f in changed:
            data = f.after()
            if data is None:
                f.target.unlink()
            else:
                write_atomic(f.target, data)
            done.append(f)
    except OSError as exc:
        for f in reversed(done):
            _restore(f)
        return f"{f.rel}: writing failed ({exc}); no file was changed."
    return None


def _restore(f: _File) -> None:
    if f.before is None:
        f.target.unlink(missing_ok=True)
    else:
        write_atomic(f.target, f.before)
