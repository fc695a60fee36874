"""The web query for a failure: its most specific line (the exception or the failed
assertion) and the names it concerns, never the test's private values."""

from __future__ import annotations

import re

MAX_QUERY_CHARS = 150
_EXCEPTION = re.compile(r"\b([A-Z]\w*(?:Error|Exception|Warning))\b:?\s*(.*)")


def web_query(weakness: dict) -> str:
    """`python KeyError: 'price'`-style: the exception line if there is one, else the first
    `E ` line, else the first line; prefixed with the language."""
    lines = [ln.strip() for ln in weakness["failure"].splitlines() if ln.strip()]
    errors = [ln for ln in lines if _EXCEPTION.search(ln)]
    asserts = [ln for ln in lines if ln.startswith("E ")]
    key = (errors or asserts or lines or [weakness["test_id"]])[-1 if errors else 0]
    key = re.sub(r"^E\s+", "", key)
    return f"python {key}"[:MAX_QUERY_CHARS]
