"""Ryx's patch engine: read edits out of a model's reply and apply them safely.

`parse_reply` reads SEARCH/REPLACE blocks (and whole-file code blocks, unified diffs,
`DELETE path` lines) out of a reply; `apply_edits` finds each SEARCH by a ladder of ever
looser matches (never guessing between two places), checks the result (.py compiles,
.json/.toml/.yaml parse), and writes every file atomically, or none when any edit fails.
Errors are written for the model: the file, the edit, and the closest lines of the file.
"""

from __future__ import annotations

from skills.edit.apply import apply_edits
from skills.edit.parse import parse_reply
from skills.edit.types import ApplyResult, Edit, EditError

__all__ = ["ApplyResult", "Edit", "EditError", "apply_edits", "parse_reply"]
