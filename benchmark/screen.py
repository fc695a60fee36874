"""Static checks on a candidate's diff, before anything of it runs.

Two kinds of change are refused unscored, with a reason written for the model:
- a new top-level module named like one the interpreter or the test harness imports
  (`pytest.py`, `resource.py`, `json/__init__.py`): under plain `python -m pytest` the tree
  comes first on sys.path, so such a file would run in place of the real module;
- added lines that reach into the test runner rather than fix the code: pytest's internals,
  the caller's frames, every object in the process, raw memory, exit handlers, signals.
These are a first screen, not the defence: the sandbox, the canary and the plain-pytest
confirmation stop what slips past them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath

_REACH = (
    (r"(?:^|[\s;])(?:import|from)\s+(?:_pytest|pluggy)\b|\b_pytest\.\w", "pytest's internals"),
    (r"_ryx|\bryx[-_ ]?points\b|--ryx-", "Ryx's harness"),
    (r"\bPYTEST_(?:CURRENT_TEST|VERSION|ADDOPTS)\b", "which test is running"),
    (r"\bsys\._getframe\b|\binspect\.(?:stack|currentframe|getouterframes|getframeinfo)\b",
     "the caller's frames"),
    (r"\bgc\.get_(?:objects|referrers|referents)\b", "every object in the process"),
    (r"\bos\._exit\b|\batexit\b", "how the process ends"),
    (r"\bctypes\b", "raw memory"),
    (r"\b(?:sys|threading)\.(?:settrace|setprofile|addaudithook)\b", "the interpreter's hooks"),
    (r"\bbuiltins\.\w+\s*=|__builtins__", "the builtins"),
    (r"\bsignal\.(?:signal|alarm|setitimer|pthread_sigmask)\b", "signal handlers (the test timeout)"),
)
_COMPILED = tuple((re.compile(pattern), what) for pattern, what in _REACH)


def shadowing(added: Iterable[str], names: frozenset[str]) -> list[str]:
    """One reason per added file that would stand in for a module of the interpreter or harness."""
    reasons = []
    for path in added:
        name = top_level_module(path)
        if name and name in names:
            reasons.append(f"{path}: a new top-level module `{name}` would be imported instead of "
                           f"the installed `{name}` (by pytest itself); pick another name")
    return reasons


def top_level_module(path: str) -> str | None:
    """The module a file defines at the tree's top level (`x.py`, `x/__init__.py`), if any."""
    parts = PurePosixPath(path).parts
    if len(parts) == 1 and parts[0].endswith(".py"):
        return parts[0][:-3]
    if len(parts) == 2 and parts[1] == "__init__.py":
        return parts[0]
    return None


def reaching_into_the_runner(diff: str) -> list[str]:
    """One reason per added line of `diff` that reaches into the test runner."""
    reasons, path = [], "?"
    for line in diff.splitlines():
        if line.startswith("+++ "):
            path = line[4:].removeprefix("b/")
        elif line.startswith("+"):
            reasons += [f"{path}: `{line[1:].strip()[:100]}` reaches into {what}"
                        for regex, what in _COMPILED if regex.search(line[1:])]
    return reasons


_TRIVIAL = {"0", "1", "-1", "2", "True", "False", "None", "''", '""', "[]", "{}", "()"}


def special_cases(diff: str, test_source: str) -> list[str]:
    """Added lines that compare against the test's own values and so may pass the test without
    fixing the logic (`if a == 2 and b == 3: return 5` for `assert add(2, 3) == 5`)."""
    wanted = _test_literals(test_source)
    found = []
    for line in diff.splitlines():
        if not line.startswith("+") or line.startswith("+++"):
            continue
        code = line[1:].split("#", 1)[0]
        if not re.search(r"==|!=|\bin\b|\bif\b|\bmatch\b|\bcase\b", code):
            continue
        hits = [lit for lit in _literals(code) if lit in wanted]
        if hits:
            found.append(f"`{code.strip()[:120]}` compares against the test's value(s) {', '.join(hits[:3])}")
    return found


def _test_literals(source: str) -> set[str]:
    """Literal values in the test's assertions and calls, less the ones too common to mean anything."""
    lines = [ln for ln in source.splitlines() if "assert" in ln or "(" in ln]
    return {lit for ln in lines for lit in _literals(ln)} - _TRIVIAL


def _literals(code: str) -> list[str]:
    return re.findall(r"'[^'\n]*'|\"[^\"\n]*\"|(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])", code)
