"""Long-term memory of one target in LangGraph's store: scorecards, tickets, notes, approvals.

Namespaces are ("ryx", <target key>, <kind>), so one database serves many targets.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

from langgraph.store.base import BaseStore

from ryx.errors import UsageError

MAX_DIFF_KEPT = 4000
KINDS = ("scorecards", "tickets", "parked", "notes", "approvals", "failed_patches", "threads", "quarantine",
         "nights", "made", "lessons", "skills", "clones", "attempts")


def target_key(root: Path | str) -> str:
    return hashlib.sha1(str(Path(root).resolve()).encode()).hexdigest()[:12]


class Memory:
    """Typed access to the store for one target."""

    def __init__(self, store: BaseStore, root: Path | str) -> None:
        self.store = store
        self.root = str(Path(root).resolve())
        self.key = target_key(root)

    def _ns(self, kind: str) -> tuple[str, ...]:
        if kind not in KINDS:
            raise ValueError(f"unknown memory kind {kind!r}")
        return ("ryx", self.key, kind)

    def put(self, kind: str, key: str, value: dict[str, Any]) -> None:
        self.store.put(self._ns(kind), key, {**value, "updated": time.time()})

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        item = self.store.get(self._ns(kind), key)
        return dict(item.value) if item else None

    def require(self, kind: str, key: str, what: str) -> dict[str, Any]:
        """The record, or a UsageError naming the known keys and where to see them."""
        record = self.get(kind, key)
        if record is None:
            known = ", ".join(self.all(kind)) or "none"
            raise UsageError(f"no {what} {key!r} for {self.root}; known: {known}. See `ryx approvals`.")
        return record

    def delete(self, kind: str, key: str) -> None:
        self.store.delete(self._ns(kind), key)

    def all(self, kind: str, limit: int = 1000) -> dict[str, dict[str, Any]]:
        items = self.store.search(self._ns(kind), limit=limit)
        return {item.key: dict(item.value) for item in sorted(items, key=lambda i: i.created_at)}

    # -- attempts: the whole record of each try, for `ryx show` ---------------------------------
    def record_attempt(self, key: str, **fields: Any) -> None:
        """Add to the record of one attempt (`c3-a1-t2`: cycle 3, approach 1, try 2). Model
        text that UTF-8 cannot hold (a lone surrogate, say) is kept with `?` in its place."""
        self.put("attempts", key, {**(self.get("attempts", key) or {}), **_storable(fields)})

    # -- scorecards: history and cache ---------------------------------------------------------
    def cached_scorecard(self, tree: str, bench_hash: str, env: str) -> dict[str, Any] | None:
        hit = self.get("scorecards", f"{tree}:{bench_hash}:{env}")
        return hit["scorecard"] if hit else None

    def save_scorecard(self, card: dict[str, Any], env: str, cycle: int | None) -> None:
        key = f"{card['tree']}:{card['benchmark_hash']}:{env}"
        self.put("scorecards", key, {"scorecard": card, "cycle": cycle, "at": time.time()})

    def history(self) -> list[dict[str, Any]]:
        rows = self.all("scorecards", limit=100000).values()
        return sorted(rows, key=lambda r: r["at"])

    # -- patches that already failed on a weakness ---------------------------------------------
    def failed_patch(self, test_id: str, candidate_id: str) -> str | None:
        hit = self.get("failed_patches", f"{test_id}:{candidate_id}")
        return hit["reason"] if hit else None

    def remember_failed_patch(self, test_id: str, candidate_id: str, reason: str, *, diff: str = "",
                              approach: int | None = None, cycle: int | None = None) -> None:
        """A failed attempt at `test_id`, kept across cycles and nights (its diff, when it had one)."""
        self.put("failed_patches", f"{test_id}:{candidate_id}",
                 {"test_id": test_id, "reason": reason, "diff": diff[:MAX_DIFF_KEPT],
                  "approach": approach, "cycle": cycle, "at": time.time()})

    def earlier_failures(self, test_id: str, before: float, limit: int = 3) -> list[dict]:
        """The latest failed attempts at `test_id` recorded before `before` (a cycle's start):
        their diff, reason and approach, newest first."""
        items = self.store.search(self._ns("failed_patches"), filter={"test_id": test_id}, limit=500)
        found = [dict(i.value) for i in items if i.value.get("at", 0) < before]
        return sorted(found, key=lambda f: f.get("at", 0), reverse=True)[:limit]


def _storable(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {k: _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    return value
