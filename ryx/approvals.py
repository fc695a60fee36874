"""Approval records of landed improvements, and the merge that `ryx approve` performs."""

from __future__ import annotations

from pathlib import Path

from git import Repo

from ryx.errors import UsageError
from ryx.gitops import merge_into_current
from ryx.memory import Memory


def record_approval(mem: Memory, sha: str, paths: list[str], kind: str, test_id: str,
                    before: int, after: int, *, auto: bool) -> dict:
    """Create the record once (idempotent: a resumed land finds it)."""
    key = sha[:10]
    existing = mem.get("approvals", key)
    if existing:
        return existing
    record = {"id": key, "commit": sha, "paths": paths, "kind": kind, "test_id": test_id,
              "before": before, "after": after, "status": "approved" if auto else "pending"}
    mem.put("approvals", key, record)
    return record


def find(mem: Memory, approval_id: str) -> dict:
    record = mem.get("approvals", approval_id)
    if record is None:
        known = ", ".join(mem.all("approvals")) or "none"
        raise UsageError(f"no approval {approval_id!r} for {mem.root}; known: {known}. See `ryx approvals`.")
    return record


def merge_approval(mem: Memory, root: Path, approval_id: str, *, only_if_clean: bool = False) -> dict:
    """Merge the improvement into the user's checked-out branch and mark it merged."""
    record = find(mem, approval_id)
    if record["status"] == "merged":
        return record
    if only_if_clean and _dirty(root):
        return record
    branch = merge_into_current(root, record["commit"])
    record = {**record, "status": "merged", "merged_into": branch}
    mem.put("approvals", approval_id, record)
    return record


def reject_approval(mem: Memory, approval_id: str) -> dict:
    record = {**find(mem, approval_id), "status": "rejected"}
    mem.put("approvals", approval_id, record)
    return record


def _dirty(root: Path) -> bool:
    with Repo(root) as repo:
        return repo.is_dirty(untracked_files=True)
