"""Syntax checks of a file's new text, by extension: .py compiles, .json/.toml/.yaml parse."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable

try:
    import tomllib
except ImportError:  # Python 3.10: tomli if present, else .toml files are not checked
    try:
        import tomli as tomllib
    except ImportError:
        tomllib = None

try:
    import yaml
except ImportError:  # PyYAML is optional: .yaml files are then not checked
    yaml = None


def _python(text: str, path: str) -> str | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        return _located("is not valid Python", exc.msg, exc.lineno, text)
    except ValueError as exc:  # e.g. source with NUL bytes
        return f"is not valid Python: {exc}"
    return None


def _json(text: str, path: str) -> str | None:
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return _located("is not valid JSON", exc.msg, exc.lineno, text)
    return None


def _toml(text: str, path: str) -> str | None:
    if tomllib is None:
        return None
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return f"is not valid TOML: {exc}"
    return None


def _yaml(text: str, path: str) -> str | None:
    if yaml is None:
        return None
    try:
        list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        return f"is not valid YAML: {str(exc).splitlines()[0] if str(exc) else exc}"
    return None


CHECKS: dict[str, Callable[[str, str], str | None]] = {
    ".py": _python, ".pyi": _python, ".json": _json, ".toml": _toml, ".yaml": _yaml, ".yml": _yaml,
}


def problem(path: str, text: str) -> str | None:
    """Why `text` is not a valid file of its kind ("is not valid Python: ..."), or None."""
    suffix = "." + path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
    check = CHECKS.get(suffix)
    return check(text, path) if check else None


def _located(what: str, msg: str, lineno: int | None, text: str) -> str:
    """The error and the numbered lines around it."""
    if not lineno:
        return f"{what}: {msg}"
    lines = text.split("\n")
    lo, hi = max(1, lineno - 2), min(len(lines), lineno + 2)
    quoted = "\n".join(f"{n:>5} | {lines[n - 1]}" for n in range(lo, hi + 1))
    return f"{what}: {msg} (line {lineno}):\n{quoted}"
