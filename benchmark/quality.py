"""Never worse code: what a candidate adds to the linter's findings, and what it takes away of
the code's explanations (docstrings, comments).

Lint runs `ruff` (isolated from the target's own configuration, `# noqa` ignored, so neither a
candidate nor a stale setting can hide a finding) over the changed Python files before and
after; only findings that are new count. Rules default to what a gain never needs: syntax
errors, undefined and unused names, stray `print`.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

DEFAULT_RULES = ("E9", "F821", "F401", "F841", "T201")
Texts = Mapping[str, str | None]  # relative path -> text (None: the file does not exist)


def new_findings(before: Texts, after: Texts, rules: tuple[str, ...] = DEFAULT_RULES) -> list[str]:
    """The lint findings `after` has and `before` had not, one line each."""
    if not rules:
        return []
    old = Counter((f["filename"], f["code"]) for f in _lint(before, rules))
    found = []
    for finding in _lint(after, rules):
        key = (finding["filename"], finding["code"])
        if old[key] > 0:
            old[key] -= 1
            continue
        found.append(f"{finding['filename']}:{finding['row']}: {finding['code']} {finding['message']}")
    return found


def _lint(texts: Texts, rules: tuple[str, ...]) -> list[dict]:
    files = {path: text for path, text in texts.items() if text is not None and path.endswith(".py")}
    if not files:
        return []
    with tempfile.TemporaryDirectory(prefix="ryx-lint-") as tmp:
        for path, text in files.items():
            (Path(tmp) / path).parent.mkdir(parents=True, exist_ok=True)
            (Path(tmp) / path).write_text(text, encoding="utf-8")
        proc = subprocess.run([sys.executable, "-m", "ruff", "check", "--isolated", "--ignore-noqa", "--no-cache",
                               "--output-format=json", "--select", ",".join(rules), *files],
                              cwd=tmp, capture_output=True, text=True, timeout=120)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"ruff could not lint the candidate: {proc.stderr.strip()[-500:]}")
    return [{"filename": Path(f["filename"]).resolve().relative_to(Path(tmp).resolve()).as_posix()
             if Path(f["filename"]).is_absolute() else f["filename"],
             "code": f["code"] or "E999", "message": f["message"], "row": f["location"]["row"]}
            for f in json.loads(proc.stdout or "[]")]


def lost_explanations(before: Texts, after: Texts) -> list[str]:
    """Docstrings and comment lines of the changed Python files that are gone afterwards."""
    lost = []
    for path, old in before.items():
        if old is None or not path.endswith(".py"):
            continue
        new = after.get(path) or ""
        gone = sorted(_docstrings(old) - _docstrings(new))
        lost += [f"{path}: removes the docstring of {name}" for name in gone]
        comments = Counter(_comments(old)) - Counter(_comments(new))
        if comments:
            first = next(iter(comments))
            lost.append(f"{path}: removes {sum(comments.values())} comment line(s), e.g. `{first}`")
    return lost


def _docstrings(text: str) -> set[str]:
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return set()
    names = {"the module"} if ast.get_docstring(tree) is not None else set()
    stack: list[tuple[ast.AST, str]] = [(tree, "")]
    while stack:
        node, prefix = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if ast.get_docstring(child) is not None:
                    names.add(name)
                stack.append((child, f"{name}."))
    return names


def _comments(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("#")]
