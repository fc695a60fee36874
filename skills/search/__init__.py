"""Local code search over git repositories, on SQLite's own FTS5 (stdlib only).

`CodeIndex` keeps ~40-line chunks of every text file of one or more repos in one SQLite
file and answers free-text queries (an error message, a test's source, a feature request)
with `Hit`s that carry line numbers. `query_terms` turns any text into a safe MATCH
expression, so a search never fails on odd punctuation.
"""

from __future__ import annotations

from skills.search.index import CodeIndex, Hit
from skills.search.query import identifier_parts, query_terms

__all__ = ["CodeIndex", "Hit", "identifier_parts", "query_terms"]
