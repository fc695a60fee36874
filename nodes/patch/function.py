"""The whole-function reply format for small models: they rewrite one function, not a file.

The grammar makes llama.cpp emit exactly one fenced block that opens with the function's
`def NAME(`, so a small model cannot miss the format; `as_edit` turns the reply into the SEARCH/REPLACE block
the edit skill applies (the function's current text is the SEARCH side).
"""

from __future__ import annotations

import re

from ryx.codectx import FunctionSpan

_FENCE = re.compile(r"```[\w+-]*\n(.*?)(?:```|\Z)", re.DOTALL)


def grammar(span: FunctionSpan) -> str:
    """GBNF: a python fence that opens with the function's `def NAME(`, lines without fences,
    the closing fence. Only the opening is forced: forcing the whole signature splits tokens
    where the model would not, and in probes cost the embedded model a third of its fixes."""
    opening = span.header.lstrip().split("(", 1)[0] + "("
    return (f'root ::= "```python\\n" {_literal(opening)} line line* "```"\n'
            'line ::= [^`\\n]* "\\n"\n')


def _literal(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def as_edit(span: FunctionSpan, reply: str) -> str:
    """A SEARCH/REPLACE reply that puts the reply's version of the function in its place.

    ValueError names what the reply lacks."""
    new = _function_text(span, reply)
    if new is None:
        raise ValueError(f"the reply holds no function `def {span.name}(` to put in place of the current one")
    return (f"{span.path}\n```python\n<<<<<<< SEARCH\n{span.source}=======\n{new}>>>>>>> REPLACE\n```\n")


def _function_text(span: FunctionSpan, reply: str) -> str | None:
    """The function `span.name` from the reply's first fence that has it (or from the bare
    reply), re-indented to where the function lives."""
    blocks = [m.group(1) for m in _FENCE.finditer(reply)] or [reply]
    for block in blocks:
        lines = block.splitlines()
        start = next((i for i, ln in enumerate(lines) if re.match(rf"\s*(async\s+)?def {re.escape(span.name)}\(", ln)),
                     None)
        if start is None:
            continue
        base = len(lines[start]) - len(lines[start].lstrip())
        end = start + 1
        while end < len(lines) and (not lines[end].strip() or _width(lines[end]) > base):
            end += 1
        body = lines[start:end]
        while body and not body[-1].strip():
            body.pop()
        outer = span.header[: len(span.header) - len(span.header.lstrip())]
        return "".join(_reindent(ln, base, outer) + "\n" for ln in body)
    return None


def _width(line: str) -> int:
    return len(line) - len(line.lstrip())


def _reindent(line: str, base: int, outer: str) -> str:
    if not line.strip():
        return ""
    return outer + line[base:] if line[:base].strip() == "" else line
