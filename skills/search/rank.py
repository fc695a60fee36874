"""Re-ranking FTS hits with what bm25 cannot see: files the query names outright.

Code is preferred over prose that matches as well: research wants what it can change or reuse.
A traceback or a pytest failure names files ("File ".../models/order.py"", "tests/test_x.py::")
and modules ("syncctl.transfer"); the files named last (the innermost frame) matter most, and
a failing test points at the module it tests. A query word that contains a file's stem
("syncignore" and ignore.py) is a weaker hint.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

_TOKEN = re.compile(r"[\w.\-/\\]+")  # a path-like run of characters; linear to scan
_MODULE = re.compile(r"[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+")
_CODE_SUFFIXES = frozenset(
    ".py .pyi .js .jsx .ts .tsx .go .rs .java .kt .c .h .cc .cpp .hpp .rb .php .cs .swift "
    ".scala .sh .toml .yaml .yml .json .cfg .ini .md .rst .txt .html .css .sql".split()
)
MENTION_BOOST = 2.0  # a file named in the query: score x 2 if named first .. x 6 if named last
LATER_BOOST = 4.0
SUBJECT_BOOST = 1.0  # the module a named test file tests: score x 2
STEM_BOOST = 0.3  # a query word containing the file's stem: score x 1.3
MIN_STEM = 4
PROSE_FACTOR = 0.6  # a prose file (README, docs, notes) is worth less than code that matches as well
_PROSE_SUFFIXES = frozenset({".md", ".rst", ".txt", ".adoc", ""})


@dataclass(frozen=True)
class Mentions:
    """Files a query names, each with where it was last named (0 start .. 1 end of the text),
    and the bare file names of the modules that named test files test."""

    paths: tuple[tuple[str, float], ...]
    subjects: tuple[str, ...]


def mentions(text: str) -> Mentions:
    last: dict[str, int] = {}
    for match in _TOKEN.finditer(text):
        path = _named_file(match.group())
        if path:
            last[path] = match.start()
    size = max(len(text), 1)
    subjects = [_tested_module(p) for p in last]
    return Mentions(
        tuple((p, pos / size) for p, pos in last.items()), tuple(s for s in subjects if s)
    )


def _named_file(token: str) -> str | None:
    """The file a token names: a path with a known suffix, or a dotted module (a.b -> a/b.py)."""
    token = token.replace("\\", "/").strip(".-/")
    suffix = PurePosixPath(token).suffix.lower()
    if suffix in _CODE_SUFFIXES and PurePosixPath(token).stem:
        return token
    if _MODULE.fullmatch(token):
        return token.replace(".", "/") + ".py"
    return None


def _tested_module(path: str) -> str | None:
    name = PurePosixPath(path).name
    for prefix in ("test_", "tests_"):
        if name.startswith(prefix) and len(name) > len(prefix) + 3:
            return name[len(prefix):]
    if name.endswith("_test.py"):
        return name[: -len("_test.py")] + ".py"
    return None


def _same_file(path: str, mentioned: str) -> bool:
    """True when one path is the other or ends with it at a folder boundary."""
    short, long = sorted((path, mentioned), key=len)
    return long == short or long.endswith("/" + short)


def boost(path: str, seen: Mentions, words: list[str]) -> float:
    """The factor a hit's score is multiplied by for what the query says about its path."""
    factor = 1.0
    for mentioned, where in seen.paths:
        if _same_file(path, mentioned):
            factor = max(factor, MENTION_BOOST + LATER_BOOST * where)
    name = PurePosixPath(path).name
    if any(name == subject for subject in seen.subjects):
        factor = max(factor, 1 + SUBJECT_BOOST)
    stem = PurePosixPath(path).stem.lower()
    if len(stem) >= MIN_STEM and any(stem in w and stem != w for w in words):
        factor *= 1 + STEM_BOOST
    if PurePosixPath(path).suffix.lower() in _PROSE_SUFFIXES:
        factor *= PROSE_FACTOR
    return factor
