"""Turning free text into identifiers and a safe FTS5 MATCH expression."""

from __future__ import annotations

import re

MAX_TERMS = 48

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")

STOP_WORDS = frozenset(
    """
    a about after all also am an and any are as at be been before being but by can could
    did do does doing done for from get got had has have having he her here him his how i
    if in into is it its just like me more most my no nor not now of off on once only or
    other our out over own please same she should so some such than that the their them
    then there these they this those through to too under until up very was way we were
    what when where which while who whom why will with would you your
    def class self cls return import pass none true false lambda yield async await raise
    try except finally elif else assert global nonlocal del
    traceback recent call last
    """.split()
)


def identifier_parts(identifier: str) -> list[str]:
    """Lower-cased pieces of a snake_case or CamelCase identifier (without the whole)."""
    parts: list[str] = []
    for piece in identifier.split("_"):
        parts.extend(p.lower() for p in _CAMEL.findall(piece))
    return parts


def _keep(term: str) -> bool:
    return len(term) > 1 and not term.isdigit() and term not in STOP_WORDS


def identifiers(text: str) -> list[str]:
    """Identifiers of `text`, each kept whole (lower-cased) and split; stop words dropped."""
    seen: dict[str, None] = {}
    for match in _IDENT.finditer(text):
        whole = match.group().strip("_")
        if not whole:
            continue
        parts = identifier_parts(whole)
        for term in [whole.lower(), *parts] if len(parts) > 1 else [whole.lower()]:
            if _keep(term):
                seen.setdefault(term, None)
    return list(seen)


def camel_pieces(text: str) -> list[str]:
    """Lower-cased pieces of the CamelCase identifiers in `text` (HTTPServer: http, server).

    snake_case needs no help: the FTS tokenizer already splits on underscores.
    """
    pieces: dict[str, None] = {}
    for whole in set(_IDENT.findall(text)):
        parts = identifier_parts(whole)
        if len(parts) > len([p for p in whole.split("_") if p]):
            pieces.update(dict.fromkeys(p for p in parts if _keep(p)))
    return sorted(pieces)


def query_terms(text: str) -> str:
    """A MATCH expression for `text`: its terms quoted and OR-joined ("" when none).

    Only identifier characters reach the expression, each term inside double quotes, so
    FTS5 operators (AND, NOT, NEAR, *, :, parentheses) in the input are plain words.
    Long texts keep their first and last terms: a traceback's point is at its end.
    """
    terms = identifiers(text)
    if len(terms) > MAX_TERMS:
        terms = terms[: MAX_TERMS // 2] + terms[-(MAX_TERMS // 2) :]
    return " OR ".join(f'"{term}"' for term in terms)
