"""Reading edits out of a model's reply: SEARCH/REPLACE blocks, whole-file fences, unified diffs.

Paths come from the line before a block or fence (`calc.py`, `# calc.py`, `File: calc.py`,
`**calc.py**`, a sentence ending in `:` that names one file), the fence's info string
(```python path=calc.py), or a first-line comment inside a whole-file fence (dropped from the
file). A block with no path of its own belongs to the previous block's file, or to the only
known path. Deleting a file takes an explicit line `DELETE path` (a block that empties a file
leaves an empty file). A reply with blocks may also create files with a fenced block under a
path line, when the path is new.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from skills.edit.paths import clean, path_from_info, path_from_line, resolve
from skills.edit.scan import REPLACE, Fence, Scan, Unclosed, scan
from skills.edit.types import MAX_REPLY_CHARS, Edit, EditError
from skills.edit.udiff import diff_region, looks_like_diff, parse_diff

DELETE = re.compile(
    r"^\s*(?:[-*]\s+)?\**(?:DELETE|DELETE FILE|Delete file|REMOVE FILE|Remove file)\**\s*:?\s+"
    r"\**`?([^\s`*]+)`?\**\s*$"
)
SHELL_LANGS = {"bash", "sh", "shell", "console", "terminal", "zsh", "cmd", "powershell", "ps1",
               "output", "log", "diff", "patch"}
LANG_EXTS = {
    "python": ".py", "py": ".py", "python3": ".py", "json": ".json", "toml": ".toml",
    "yaml": ".yaml .yml", "yml": ".yaml .yml", "javascript": ".js .mjs", "js": ".js .mjs",
    "typescript": ".ts", "ts": ".ts", "markdown": ".md", "md": ".md", "text": ".txt",
    "txt": ".txt", "ini": ".ini .cfg", "cfg": ".cfg .ini", "html": ".html", "css": ".css",
    "sh": ".sh", "bash": ".sh", "rust": ".rs", "go": ".go", "c": ".c .h", "cpp": ".cpp .hpp .h",
}
HOW = ("Write each change as the file's path on its own line, then:\n<<<<<<< SEARCH\n"
       "(lines copied exactly from the file)\n=======\n(the new lines)\n>>>>>>> REPLACE")
_PATH_COMMENT = re.compile(r"^\s*(?:#|//|--|<!--|/\*)")


def parse_reply(reply: str, *, known_paths: Sequence[str] = ()) -> list[Edit]:
    """The edits a reply asks for; EditError (for the model) when none is usable or it is malformed."""
    if len(reply) > MAX_REPLY_CHARS:
        raise EditError(f"The reply is {len(reply):,} characters, over the limit of "
                        f"{MAX_REPLY_CHARS:,}; send only the changed parts as SEARCH/REPLACE blocks.")
    known = [clean(k) for k in known_paths]
    lines = reply.replace("\r\n", "\n").split("\n")
    try:
        scanned = scan(lines)
    except Unclosed as exc:
        where = _path_before(_partial(lines, exc.line), exc.line, known) or _single(known)
        name = f"{where}: " if where else ""
        raise EditError(f"{name}the edit block at line {exc.line + 1} of the reply lacks "
                        f"{exc.missing}. Nothing was applied. {HOW}") from None
    edits = _block_edits(scanned, known) or _diff_edits(scanned, known)
    edits = edits or _whole_edits(scanned, known, scanned.fences)
    if scanned.blocks:
        edits += _new_files(scanned, known, {e.path for e in edits})
    edits += _deletes(scanned, known)
    if not edits:
        raise EditError(f"No edits found in the reply. {HOW}\nTo replace a small file, send its "
                        "path on one line and the complete new file in one code block.")
    return edits


def _partial(lines: list[str], upto: int) -> Scan:
    return scan(lines[:upto])


def _single(known: Sequence[str]) -> str | None:
    return known[0] if len(known) == 1 else None


def _path_before(scanned: Scan, i: int, known: Sequence[str]) -> str | None:
    """The path named just above line i (skipping blank lines and opening fences)."""
    j = i - 1
    while j >= 0:
        line, kind = scanned.lines[j], scanned.kinds[j]
        if not line.strip():
            j -= 1
        elif kind == "open":
            found = path_from_info(scanned.infos[j], known)
            if found:
                return resolve(found, known)
            j -= 1
        elif kind in ("close", "block") or REPLACE.match(line):
            return None
        else:
            found = path_from_line(line, known)
            return resolve(found, known) if found else None
    return None


def _block_edits(scanned: Scan, known: Sequence[str]) -> list[Edit]:
    edits: list[Edit] = []
    last: str | None = None
    for n, block in enumerate(scanned.blocks, 1):
        path = _path_before(scanned, block.line, known) or last or _single(known)
        if path is None:
            raise EditError(f"Edit block {n} (line {block.line + 1} of the reply) names no file. "
                            f"Put the file's path on the line just before it. {HOW}")
        search, replace = _text(block.search), _text(block.replace)
        kind = "replace" if search.strip() else "create"
        edits.append(Edit(path, search, replace, kind))
        last = path
    return edits


def _text(lines: list[str]) -> str:
    return "\n".join(lines) + "\n" if lines else ""


def _diff_edits(scanned: Scan, known: Sequence[str]) -> list[Edit]:
    edits: list[Edit] = []
    for fence in scanned.fences:
        if fence.lang in ("diff", "patch", "udiff") or looks_like_diff(fence.body):
            default = _path_before(scanned, fence.line, known) or _single(known)
            edits += parse_diff(fence.body, default, known)
    if edits:
        return edits
    lines = [ln if k == "text" else "" for ln, k in zip(scanned.lines, scanned.kinds)]
    starts = [i for i, ln in enumerate(lines) if ln.startswith("--- ") or ln.startswith("@@")]
    if starts and looks_like_diff(lines):
        end = diff_region(lines, starts[0])
        return parse_diff(lines[starts[0] : end], _single(known), known)
    return []


def _fence_path(scanned: Scan, fence: Fence, known: Sequence[str]) -> tuple[str | None, bool]:
    """(path, whether it was written out) for a fence; strips a first-line path comment."""
    found = path_from_info(fence.info, known)
    found = resolve(found, known) if found else _path_before(scanned, fence.line, known)
    if found is None and fence.body and _PATH_COMMENT.match(fence.body[0]):
        named = path_from_line(fence.body[0], known)
        if named and not named.rstrip(":").endswith(":"):
            fence.body.pop(0)
            found = resolve(named, known)
    if found is not None:
        return found, True
    return (_single(known) if _fits(fence.lang, _single(known)) else None), False


def _fits(lang: str, path: str | None) -> bool:
    if path is None or lang in SHELL_LANGS:
        return False
    return not lang or any(path.endswith(ext) for ext in LANG_EXTS.get(lang, "").split())


def _whole_edits(scanned: Scan, known: Sequence[str], fences: list[Fence]) -> list[Edit]:
    explicit: dict[str, Fence] = {}
    implicit: list[tuple[str, Fence]] = []
    for fence in fences:
        if not any(line.strip() for line in fence.body) or _only_deletes(fence):
            continue
        path, written = _fence_path(scanned, fence, known)
        if path is None or (fence.lang in SHELL_LANGS and not _fits_ext(path, fence.lang)):
            continue
        if written and path in explicit:
            raise EditError(f"{path}: the reply has two whole-file code blocks for it; send one "
                            "complete file, or SEARCH/REPLACE blocks.")
        if written:
            explicit[path] = fence
        else:
            implicit.append((path, fence))
    clash = [path for path, _ in implicit if path in explicit]
    if clash:
        raise EditError(f"{clash[0]}: the reply has several code blocks that may be this file, "
                        "so it is unclear which is the new file. Send SEARCH/REPLACE blocks, or "
                        "only the complete file under its path.")
    if not explicit and len(implicit) > 1:
        raise EditError(f"{implicit[0][0]}: the reply has {len(implicit)} code blocks and none "
                        "names its file, so it is unclear which is the new file. Put the path "
                        "on the line before the complete file's code block.")
    chosen = explicit or dict(implicit)
    return [_whole(path, fence, known) for path, fence in chosen.items()]


def _fits_ext(path: str, lang: str) -> bool:
    return any(path.endswith(ext) for ext in LANG_EXTS.get(lang, "-").split())


def _whole(path: str, fence: Fence, known: Sequence[str]) -> Edit:
    kind = "create" if known and path not in known else "whole"
    return Edit(path, "", _text(fence.body), kind)


def _new_files(scanned: Scan, known: Sequence[str], taken: set[str]) -> list[Edit]:
    """Fenced new files beside SEARCH/REPLACE blocks (path written out, not a known file)."""
    if not known:
        return []
    fences = [f for f in scanned.fences if _explicit_new(scanned, f, known, taken)]
    return _whole_edits(scanned, known, fences) if fences else []


def _explicit_new(scanned: Scan, fence: Fence, known: Sequence[str], taken: set[str]) -> bool:
    found = path_from_info(fence.info, known) or _path_before(scanned, fence.line, known)
    return bool(found) and found not in known and found not in taken


def _only_deletes(fence: Fence) -> bool:
    body = [line for line in fence.body if line.strip()]
    return bool(body) and all(DELETE.match(line) for line in body)


def _deletes(scanned: Scan, known: Sequence[str]) -> list[Edit]:
    edits = []
    for line, kind in zip(scanned.lines, scanned.kinds):
        m = DELETE.match(line) if kind in ("text", "body") else None
        if m:
            edits.append(Edit(resolve(m.group(1), known), "", "", "delete"))
    return edits
