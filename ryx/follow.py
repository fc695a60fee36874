"""ryx/improve follows the user's branch: when the user commits, their work comes in.

At the start of a cycle, if the branch ryx/improve was made from has moved on: a fast-forward
when ryx/improve holds nothing of Ryx's yet; a merge commit when it does and the merge is
clean (the next benchmark scores it); and when the merge conflicts, the old ryx/improve is
kept under a dated name and a fresh one starts from the user's head. The user's checkout is
never touched: all of it happens in Ryx's worktree.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from git import GitCommandError

from ryx.gitops import IMPROVE_BRANCH, RYX_IDENTITY, Workspace
from ryx.gitsafe import SafeRepo


@dataclass(frozen=True)
class Followed:
    kind: str  # even | no-base | fast-forward | merged | restarted
    detail: str
    merge: str | None = None  # the merge commit Ryx made (its tree is scored next)
    tree: str | None = None
    kept: str | None = None  # where the old ryx/improve was kept after a conflict

    @property
    def moved(self) -> bool:
        return self.kind in ("fast-forward", "merged", "restarted")


def follow(ws: Workspace) -> Followed:
    """Bring ryx/improve up to date with the user's branch (worktree reset first)."""
    base = ws.base_branch()
    if base is None:
        return Followed("no-base", "ryx/improve follows no branch (it was made from a detached HEAD)")
    ws.prepare()
    with SafeRepo(ws.path) as wt:
        try:
            tip = wt.git.rev_parse("--verify", f"refs/heads/{base}^{{commit}}")
        except GitCommandError:
            return Followed("no-base", f"the branch {base} that ryx/improve follows is gone")
        head = wt.head.commit.hexsha
        if wt.is_ancestor(tip, head):
            return Followed("even", f"{base} has not moved")
        if wt.is_ancestor(head, tip):
            wt.git.merge("--ff-only", "-q", tip, env=RYX_IDENTITY)
            return Followed("fast-forward", f"fast-forwarded to {base} ({tip[:10]})")
        return _merge(ws, wt, base, tip)


def _merge(ws: Workspace, wt: SafeRepo, base: str, tip: str) -> Followed:
    try:
        wt.git.merge("--no-ff", "--no-edit", "-q", "-m", f"ryx: follow {base} ({tip[:10]})", tip,
                     env=RYX_IDENTITY)
    except GitCommandError:
        wt.git.merge("--abort")
        kept = f"{IMPROVE_BRANCH}-{time.strftime('%Y%m%d-%H%M%S')}"
        wt.git.branch(kept, "HEAD")
        wt.git.reset("--hard", "-q", tip)
        return Followed("restarted", f"merging {base} into {IMPROVE_BRANCH} conflicts: the old one is "
                        f"kept as {kept}, a fresh {IMPROVE_BRANCH} starts from {base} ({tip[:10]})",
                        kept=kept)
    merge = wt.head.commit
    return Followed("merged", f"merged {base} ({tip[:10]}) into {IMPROVE_BRANCH}",
                    merge=merge.hexsha, tree=merge.tree.hexsha)
