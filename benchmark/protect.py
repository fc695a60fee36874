"""What a candidate may not touch: the benchmark, and everything that decides how it runs.

A change to the benchmark itself, or to anything that changes what pytest collects or how the
interpreter starts (conftest.py and pytest configuration wherever they stand, sitecustomize,
.pth files, bytecode caches), is refused before anything of the candidate runs: it could raise
the points without improving the code.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import PurePosixPath

from ryx.benchspec import BenchSpec

# Files that change collection or interpreter start-up wherever they are.
_ALWAYS = {
    "conftest.py": "conftest.py changes what pytest collects and how tests run",
    "sitecustomize.py": "sitecustomize.py runs at every interpreter start",
    "usercustomize.py": "usercustomize.py runs at every interpreter start",
}
# pytest reads its configuration from the first of these it finds, walking up from the
# folders it is given: one anywhere in the tree can take over a run.
CONFIG_FILES = frozenset({"pytest.ini", ".pytest.ini", "pytest.toml", ".pytest.toml", "tox.ini",
                          "setup.cfg", "pyproject.toml"})
_TEST_FILE = re.compile(r"(^test_.*|.*_test)\.py$")
_TEST_DIRS = frozenset({"test", "tests", "testing"})

# (path) -> (text before, text after); None where the file does not exist on that side.
TextPair = Callable[[str], tuple[str | None, str | None]]


def protected_violations(
    changed_paths: Iterable[str], spec: BenchSpec, *, texts: TextPair | None = None
) -> list[str]:
    """One reason per changed path the candidate may not touch (empty: nothing protected).

    `texts` lets pyproject.toml through when only its non-pytest, non-ryx sections changed;
    without it any pyproject.toml change is protected.
    """
    reasons = []
    for raw in changed_paths:
        reason = _violation(normalise(raw), spec, texts)
        if reason:
            reasons.append(f"{raw}: {reason}")
    return reasons


def _violation(path: str, spec: BenchSpec, texts: TextPair | None) -> str | None:
    pure = PurePosixPath(path)
    if path.startswith("/") or ".." in pure.parts:
        return "outside the target"
    if pure.name in _ALWAYS:
        return _ALWAYS[pure.name]
    if pure.suffix == ".pth":
        return ".pth files run code at every interpreter start"
    if pure.suffix in (".pyc", ".pyo") or "__pycache__" in pure.parts:
        return "compiled bytecode stands in for the source it claims to be"
    if pure.name == "pyproject.toml":
        if _pyproject_matters(path, texts):
            return "its [tool.pytest] or [tool.ryx] section configures the benchmark"
    elif pure.name in CONFIG_FILES:
        return "pytest configuration decides what the benchmark collects"
    if _in_benchmark(path, spec):
        return "part of the benchmark"
    for pattern in spec.protected:
        if glob_match(path, pattern):
            return f"protected by the pattern {pattern!r}"
    return None


def normalise(path: str) -> str:
    text = path.replace("\\", "/")
    while text.startswith("./"):
        text = text[2:]
    return text


def is_config_file(path: str) -> bool:
    """A file pytest reads configuration or fixtures from, wherever it stands."""
    return PurePosixPath(path).name in CONFIG_FILES or PurePosixPath(path).name == "conftest.py"


def is_test_path(path: str) -> bool:
    """In all-tests mode the benchmark is every test file and everything in a test folder
    (helpers like tests/common.py decide outcomes too)."""
    parts = PurePosixPath(path).parts
    return bool(_TEST_FILE.match(parts[-1])) or any(p in _TEST_DIRS for p in parts[:-1])


def bench_roots(spec: BenchSpec) -> list[str]:
    """The benchmark's paths as relative folders or files (no `::test` part)."""
    return [normalise(b).rstrip("/").split("::", 1)[0] for b in spec.paths]


def _in_benchmark(path: str, spec: BenchSpec) -> bool:
    if not spec.paths:  # all-tests mode
        return is_test_path(path)
    return any(b in ("", ".") or path == b or path.startswith(b + "/") for b in bench_roots(spec))


def _pyproject_matters(path: str, texts: TextPair | None) -> bool:
    if texts is None:
        return True
    before, after = texts(path)
    return benchmark_sections(before) != benchmark_sections(after)


def benchmark_sections(text: str | None) -> object:
    """pyproject's [tool.pytest] and [tool.ryx]: the parts that configure the benchmark."""
    if text is None:
        return None
    try:
        tool = tomllib.loads(text).get("tool", {})
    except tomllib.TOMLDecodeError:
        return ("unparsable", text)
    return {name: tool.get(name) for name in ("pytest", "ryx")}


def glob_match(path: str, pattern: str) -> bool:
    """Match a relative POSIX path against a glob: `*` within a segment, `**` across them.

    A pattern that matches a parent directory matches everything under it.
    """
    regex = _glob_regex(normalise(pattern).rstrip("/"))
    parts = path.split("/")
    return any(regex.fullmatch("/".join(parts[:n])) for n in range(len(parts), 0, -1))


@lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        else:
            char = pattern[i]
            out.append({"*": "[^/]*", "?": "[^/]"}.get(char, re.escape(char)))
            i += 1
    return re.compile("".join(out))
