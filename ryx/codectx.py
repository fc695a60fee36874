"""Source the prompts carry: a benchmark test's own code and the target files it exercises."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

MAX_FILE_CHARS = 12_000


def split_test_id(test_id: str) -> tuple[str, list[str]]:
    """`benchmark/test_a.py::TestX::test_y[1]` -> ("benchmark/test_a.py", ["TestX", "test_y"])."""
    file, _, rest = test_id.partition("::")
    names = [part.split("[", 1)[0] for part in rest.split("::") if part]
    return file, names


def test_source(root: Path, test_id: str, *, whole_file_up_to: int = MAX_FILE_CHARS) -> tuple[str, str]:
    """(test file path, the test function's source, or the whole file when it is small)."""
    file, names = split_test_id(test_id)
    text = (root / file).read_text(encoding="utf-8", errors="replace")
    if len(text) <= whole_file_up_to or not names:
        return file, text[:MAX_FILE_CHARS]
    try:
        node = _find(ast.parse(text), names)
    except SyntaxError:
        node = None
    return file, ast.get_source_segment(text, node) if node is not None else text[:MAX_FILE_CHARS]


def _find(tree: ast.AST, names: list[str]) -> ast.AST | None:
    scope: ast.AST = tree
    for name in names:
        found = next((n for n in ast.iter_child_nodes(scope)
                      if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                      and n.name == name), None)
        if found is None:
            return None
        scope = found
    return scope


def imported_files(root: Path, source: str) -> list[str]:
    """Files under root that the source imports (`from inventory.pricing import x` -> inventory/pricing.py)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found: list[str] = []
    for node in ast.walk(tree):
        modules = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for module in modules:
            path = _module_file(root, module)
            if path and path not in found:
                found.append(path)
    return found


def imported_closure(root: Path, source: str) -> list[str]:
    """imported_files, plus what the imported packages' __init__.py files import in turn."""
    found = imported_files(root, source)
    for path in list(found):
        if path.endswith("__init__.py"):
            package = path[: -len("/__init__.py")].replace("/", ".")
            text = (root / path).read_text(encoding="utf-8", errors="replace")
            for extra in imported_files(root, _absolute_imports(text, package)):
                if extra not in found:
                    found.append(extra)
    return found


def _absolute_imports(text: str, package: str) -> str:
    """Rewrite `from .x import y` as `from package.x import y` so imported_files can follow it."""
    return text.replace("from . import", f"from {package} import").replace("from .", f"from {package}.")


def suspects(root: Path, test_file: str, test_src: str, failure_files: list[str]) -> list[str]:
    """Target files most likely at fault: traceback frames, then definers of what the test calls."""
    imported = [p for p in imported_closure(root, test_src) if p != test_file]
    called = _called_names(test_src)
    definers = sorted((p for p in imported if _defines(root / p, called)),
                      key=lambda p: -_defines(root / p, called))
    frames = [f for f in failure_files if f != test_file and (root / f).is_file()]
    return list(dict.fromkeys(frames + definers + imported))


def _called_names(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(func.id if isinstance(func, ast.Name) else getattr(func, "attr", ""))
    return names - {""}


def _defines(path: Path, names: set[str]) -> int:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except SyntaxError:
        return 0
    defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))}
    return len(defined & names)


def _module_file(root: Path, module: str) -> str | None:
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate.relative_to(root).as_posix()
    return None


def read_files(root: Path, paths: list[str], limit: int) -> dict[str, str]:
    """Up to `limit` files as text, skipping what is missing or too large."""
    out: dict[str, str] = {}
    for path in paths:
        file = root / path
        if len(out) >= limit or not file.is_file() or file.stat().st_size > MAX_FILE_CHARS:
            continue
        out[path] = file.read_text(encoding="utf-8", errors="replace")
    return out


def format_files(files: dict[str, str]) -> str:
    return "\n\n".join(f"{path}\n```\n{text.rstrip()}\n```" for path, text in files.items()) or "(none)"


@dataclass(frozen=True)
class FunctionSpan:
    """One function of a target file: where it is and how its body is indented."""

    path: str
    name: str
    start: int  # the `def` line, 1-based (decorators stay outside the span)
    end: int  # its last line
    header: str  # the `def` line(s) up to the body, newline-terminated
    indent: str  # the body's indentation
    source: str  # the text from the `def` line to its last line, newline-terminated


_FRAME = re.compile(r"^(\S+\.py):(\d+): in (\w+)", re.MULTILINE)
_WHERE = re.compile(r"where .*?= (?:[\w.]+\.)?(\w+)\(")


def function_under_test(root: Path, paths: list[str], test_src: str, failure: str) -> FunctionSpan | None:
    """The target function a failing test exercises: the innermost traceback frame in a target
    file, else the first function named in the assertion's `where` lines, else the first the
    test calls; None when none of them is defined in `paths`."""
    spans = [s for path in paths if path.endswith(".py") for s in _functions(root, path)]
    for file, line, _ in reversed(_FRAME.findall(failure)):
        inner = [s for s in spans if file.endswith(s.path) and s.start <= int(line) <= s.end]
        if inner:
            return max(inner, key=lambda s: s.start)
    for name in [*_WHERE.findall(failure), *_calls_in_order(test_src)]:
        found = next((s for s in spans if s.name == name), None)
        if found:
            return found
    return None


def _functions(root: Path, path: str) -> list[FunctionSpan]:
    file = root / path
    try:
        text = file.read_text(encoding="utf-8")
        tree = ast.parse(text)
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return []
    lines = text.splitlines(keepends=True)
    spans = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or node.body[0].lineno == node.lineno:
            continue
        first_body = node.body[0].lineno - 1
        body_line = lines[first_body]
        spans.append(FunctionSpan(
            path=path, name=node.name, start=node.lineno, end=node.end_lineno or node.lineno,
            header=_newline("".join(lines[node.lineno - 1:first_body])),
            indent=body_line[: len(body_line) - len(body_line.lstrip())],
            source=_newline("".join(lines[node.lineno - 1:node.end_lineno]))))
    return spans


def _newline(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"


def _calls_in_order(source: str) -> list[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    calls = sorted((n for n in ast.walk(tree) if isinstance(n, ast.Call)), key=lambda n: (n.lineno, n.col_offset))
    names = [c.func.id if isinstance(c.func, ast.Name) else getattr(c.func, "attr", "") for c in calls]
    return [n for n in dict.fromkeys(names) if n]
