"""Approval records of landed improvements, and the merge that `ryx approve` performs.

Nothing merges that Ryx did not score: every commit between the user's branch and the one
being approved must be a commit Ryx made (a landing, the revert of a rejected one or of skills
that broke the loop, the merge that brought the user's branch in) whose tree is the tree Ryx
recorded for it (memory kinds `approvals` and `made`). A commit put on ryx/improve by anyone else is refused
by name, and `ryx approvals` lists every commit in that range with its paths.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ryx.errors import RyxError
from ryx.gitops import merge_into_current
from ryx.gitsafe import SafeRepo
from ryx.memory import Memory


@dataclass(frozen=True)
class PendingCommit:
    """One commit between the user's branch and an approval."""

    sha: str
    subject: str
    paths: tuple[str, ...]
    known: bool  # made by Ryx, with the tree Ryx recorded


def record_approval(mem: Memory, sha: str, paths: list[str], kind: str, test_id: str,
                    before: int, after: int, *, auto: bool, tree: str = "", review: dict | None = None) -> dict:
    """Create the record once (idempotent: a resumed land finds it)."""
    key = sha[:10]
    existing = mem.get("approvals", key)
    if existing:
        return existing
    record = {"id": key, "commit": sha, "tree": tree, "paths": paths, "kind": kind,
              "test_id": test_id, "before": before, "after": after,
              "status": "approved" if auto else "pending",
              "review": review or {"text": "(not reviewed)", "flagged": True, "verdict": ""}}
    mem.put("approvals", key, record)
    return record


def find(mem: Memory, approval_id: str) -> dict:
    return mem.require("approvals", approval_id, "approval")


def pending_commits(mem: Memory, root: Path, commit: str) -> list[PendingCommit]:
    """Every commit the merge of `commit` would bring into the checked-out branch."""
    trees = _ryx_trees(mem)
    with SafeRepo(root) as repo:
        listing = repo.git.log("--format=%x00%H %T %s", "--name-only", "--no-renames",
                               f"HEAD..{commit}")
    found = []
    for block in listing.split("\0")[1:]:
        head, *names = block.strip().splitlines()
        sha, tree, subject = (head.split(" ", 2) + [""])[:3]
        found.append(PendingCommit(sha, subject, tuple(n for n in names if n),
                                   trees.get(sha) == tree))
    return found


def _ryx_trees(mem: Memory) -> dict[str, str]:
    """commit -> tree of every commit Ryx made on ryx/improve (landings and reverts). Records
    from before trees were kept count when their commit's tree is one Ryx scored."""
    scored = {entry["scorecard"].get("tree") for entry in mem.history()}
    trees: dict[str, str] = {}
    for record in mem.all("approvals").values():
        trees[record["commit"]] = record.get("tree") or _scored_tree(record["commit"], mem, scored)
        if record.get("revert_commit"):
            trees[record["revert_commit"]] = record.get("revert_tree", "")
    trees.update({record["commit"]: record["tree"] for record in mem.all("made").values()})
    return trees


def _scored_tree(commit: str, mem: Memory, scored: set) -> str:
    with SafeRepo(mem.root) as repo:
        tree = repo.commit(commit).tree.hexsha
    return tree if tree in scored else ""


def merge_approval(mem: Memory, root: Path, approval_id: str, *, only_if_clean: bool = False) -> dict:
    """Merge the improvement into the user's checked-out branch and mark it merged."""
    record = find(mem, approval_id)
    if record["status"] == "merged":
        return record
    if only_if_clean and _dirty(root):
        return record
    strangers = [c for c in pending_commits(mem, root, record["commit"]) if not c.known]
    if strangers:
        names = "; ".join(f"{c.sha[:10]} {c.subject!r} ({', '.join(c.paths) or 'no files'})" for c in strangers)
        raise RyxError(
            f"not merging {approval_id}: ryx/improve holds commit(s) Ryx did not make or score: "
            f"{names}. Inspect them with `git show SHA`; remove them from ryx/improve before "
            "approving, or merge by hand if you trust them.")
    branch = merge_into_current(root, record["commit"])
    record = {**record, "status": "merged", "merged_into": branch}
    mem.put("approvals", approval_id, record)
    return record


def reject_approval(mem: Memory, approval_id: str, revert: tuple[str, str] | None = None) -> dict:
    """Mark it rejected; `revert` is (commit, tree) of the revert Ryx made for it."""
    record = {**find(mem, approval_id), "status": "rejected"}
    if revert:
        record.update(revert_commit=revert[0], revert_tree=revert[1])
    mem.put("approvals", approval_id, record)
    return record


def _dirty(root: Path) -> bool:
    with SafeRepo(root) as repo:
        return repo.is_dirty(untracked_files=True)
