"""The patch engine's data types and limits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

EditKind = Literal["replace", "whole", "create", "delete"]

MAX_REPLY_CHARS = 200_000
MAX_CHANGED_LINES = 2_000


class EditError(ValueError):
    """A reply or an edit that cannot be used; the message is written for the model to read."""


@dataclass(frozen=True)
class Edit:
    """One change to one file.

    `replace`: swap the SEARCH lines for REPLACE; `whole`: the file's new full text is
    `replace` (created when missing); `create`: a new file whose text is `replace` (refused
    when a different file is already there); `delete`: remove the file (search/replace unused).
    """

    path: str
    search: str
    replace: str
    kind: EditKind = "replace"


@dataclass(frozen=True)
class ApplyResult:
    """Files changed (repo-relative), or the errors that stopped every write."""

    changed: tuple[str, ...]
    errors: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.errors
