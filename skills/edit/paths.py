"""Reading file paths out of model prose, matching them to known paths, keeping them in root."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path, PurePosixPath, PureWindowsPath

from skills.edit.types import EditError

_LABEL = re.compile(
    r"^(?:(?:new|updated|modified|changed|full|complete)\s+)?"
    r"(?:file\s*name|file\s*path|file|path|filename|in|update|edit|modify|create)\s*[:=]?\s+",
    re.IGNORECASE,
)
_DECOR = re.compile(r"^(?:#+|//+|--|;+|>|[-*+]|\d+\.)\s*")
_TRAILING_NOTE = re.compile(r"\s*\((?:new|new file|modified|updated|changed|created)\)\s*$", re.I)
_EXT = re.compile(r"\.[A-Za-z0-9_+-]{1,10}$")
_BACKTICKED = re.compile(r"`([^`\s]+)`")
_WORD = re.compile(r"[\w./\\-]+\.[A-Za-z0-9_]{1,10}\b")
_PLAIN = re.compile(r"^[\w.-]+(?:/[\w.-]+)+$")
_PLAIN_NAMES = {"Makefile", "Dockerfile", "Procfile", "LICENSE", "Gemfile", "Rakefile", "Justfile"}
_BAD_CHARS = set("()[]{}=,;'\"<>|?*$!&@")


def clean(raw: str) -> str:
    """A path token without quotes, markdown, `./` or Windows separators."""
    s = raw.strip().strip("`'\"*_").strip()
    s = s.rstrip(":,").strip("`'\"*_").replace("\\", "/")
    while s.startswith("./"):
        s = s[2:]
    return s


def looks_like_path(token: str, known: Sequence[str] = ()) -> bool:
    """True for a single token that reads as a file path (has an extension or a slash)."""
    if not token or len(token) > 240 or "://" in token or any(c in _BAD_CHARS for c in token):
        return False
    if any(ch.isspace() for ch in token) or token.endswith(".") or token.startswith("-"):
        return False
    if token in known or PurePosixPath(token).name in {PurePosixPath(k).name for k in known}:
        return True
    name = token.rsplit("/", 1)[-1]
    if name in _PLAIN_NAMES or ("/" in token and _PLAIN.match(token) and not token.endswith("/")):
        return True
    return bool(_EXT.search(name)) and not name.startswith("..") and any(c.isalpha() for c in name)


def path_from_line(line: str, known: Sequence[str] = ()) -> str | None:
    """The path a line names (`calc.py`, `# calc.py`, `File: calc.py`, `**calc.py**`), or None."""
    s = line.strip()
    if s.startswith("<!--") and s.endswith("-->"):
        s = s[4:-3].strip()
    s = _DECOR.sub("", s).strip().strip("*_").strip()
    s = _LABEL.sub("", s).strip()
    s = _TRAILING_NOTE.sub("", s)
    token = clean(s)
    if looks_like_path(token, known):
        return token
    if line.rstrip().endswith(":"):
        return _path_in_prose(line, known)
    return None


def _path_in_prose(line: str, known: Sequence[str]) -> str | None:
    """The one path an introducing sentence mentions ("Here is the fix for `calc.py`:")."""
    found = {clean(t) for t in _BACKTICKED.findall(line)}
    found = {t for t in found if looks_like_path(t, known)}
    if not found:
        found = {clean(t) for t in _WORD.findall(line)}
        found = {t for t in found if t in known or resolve(t, known) in known}
    return found.pop() if len(found) == 1 else None


def path_from_info(info: str, known: Sequence[str] = ()) -> str | None:
    """A path in a fence's info string: ```python path=x.py, ```x.py, ```python:x.py, title="x"."""
    m = re.search(r"\b(?:path|file|filename|title)\s*=\s*[\"']?([^\"'\s]+)", info)
    if m:
        return clean(m.group(1))
    for token in re.split(r"[\s:]+", info.strip()):
        if "." in token and looks_like_path(clean(token), known):
            return clean(token)
    return None


def resolve(raw: str, known: Sequence[str]) -> str:
    """Map a model's path to a known path when that is unambiguous; else the cleaned path."""
    path = clean(raw)
    if not known or path in known or _is_absolute(path):
        return path
    for prefix in ("a/", "b/"):
        if path.startswith(prefix) and path[2:] in known:
            return path[2:]
    if "/" not in path:
        same = [k for k in known if PurePosixPath(k).name == path]
    else:
        same = [k for k in known if k.endswith("/" + path) or path.endswith("/" + k)]
    return same[0] if len(same) == 1 else path


def _is_absolute(path: str) -> bool:
    return path.startswith("/") or bool(PureWindowsPath(path).drive)


_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
MAX_NAME_BYTES = 255
MAX_PATH_BYTES = 1024


def _check_chars(rel: str) -> None:
    """A path must be printable text a file system can hold."""
    bad = _CONTROL.search(rel)
    if bad:
        raise EditError(f"{rel!r}: refused, the path holds the character {bad.group()!r} "
                        "(a control character or a lone surrogate); name the file in plain text.")
    encoded = rel.encode("utf-8")
    longest = max((len(part.encode("utf-8")) for part in rel.split("/")), default=0)
    if len(encoded) > MAX_PATH_BYTES or longest > MAX_NAME_BYTES:
        raise EditError(f"{rel[:60]!r}...: refused, the path is too long for a file system "
                        f"(over {MAX_NAME_BYTES} bytes a name or {MAX_PATH_BYTES} in all).")


def safe_target(root: Path, rel: str) -> Path:
    """The real file `rel` names inside `root`; EditError when it would lead outside."""
    if not rel or _is_absolute(rel):
        raise EditError(f"{rel or '(empty path)'}: refused, paths must be relative to the "
                        "repository root (like `pkg/calc.py`).")
    _check_chars(rel)
    parts = PurePosixPath(rel).parts
    if ".." in parts:
        raise EditError(f"{rel}: refused, `..` would lead outside the repository; "
                        "use the path relative to the repository root.")
    if ".git" in parts:
        raise EditError(f"{rel}: refused, files under .git/ are never edited.")
    real_root = root.resolve()
    current = root
    for part in parts:
        current = current / part
        if current.is_symlink() and not _inside(current.resolve(), real_root):
            raise EditError(f"{rel}: refused, `{current.relative_to(root).as_posix()}` is a "
                            "symlink that leads outside the repository.")
    target = (root / rel).resolve()
    if not _inside(target, real_root):
        raise EditError(f"{rel}: refused, it resolves outside the repository.")
    return target


def _inside(path: Path, root: Path) -> bool:
    return path == root or str(path).startswith(str(root).rstrip(os.sep) + os.sep)
