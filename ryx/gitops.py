"""The loop's git work: one worktree on branch `ryx/improve`, never the user's checkout.

The worktree lives inside the target's git directory (`.git/ryx/worktree`), so the user's
`git status`, branch, index and working tree are never touched. Only `ryx approve` merges.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from git import GitCommandError
from git.exc import InvalidGitRepositoryError, NoSuchPathError

from ryx.errors import EnvironmentMissing, RyxError, UsageError
from ryx.gitsafe import SafeRepo
from skills.heal import clean_git_leftovers

IMPROVE_BRANCH = "ryx/improve"


@dataclass(frozen=True)
class Snapshot:
    """A candidate staged in the worktree."""

    diff: str
    paths: list[str]  # every changed path
    added: list[str]  # the paths it creates
TRAILER = "Ryx-Candidate"
RYX_IDENTITY = {
    "GIT_AUTHOR_NAME": "Ryx", "GIT_AUTHOR_EMAIL": "ryx@localhost",
    "GIT_COMMITTER_NAME": "Ryx", "GIT_COMMITTER_EMAIL": "ryx@localhost",
}
STALE_LOCK_S = 5.0


def open_target(path: str | Path) -> Path:
    """The top level of the target's git repository, or a clear error."""
    target = Path(path).expanduser()
    if not target.is_dir():
        raise UsageError(f"target {target} is not a directory; pass --target DIR with an existing repo.")
    try:
        with SafeRepo(target, search_parent_directories=False) as repo:
            if repo.bare:
                raise EnvironmentMissing(f"target {target} is a bare git repository; clone it first.")
            if not repo.head.is_valid():
                raise EnvironmentMissing(
                    f"target {target} has no commits yet; commit your work (git add -A && "
                    "git commit -m init) so Ryx has a baseline, then run again."
                )
            return Path(repo.working_tree_dir).resolve()
    except (InvalidGitRepositoryError, NoSuchPathError):
        raise EnvironmentMissing(
            f"target {target.resolve()} is not a git repository (Ryx works on a branch of its own "
            "and needs git). Run `git init && git add -A && git commit -m init` there, "
            "or pass --target with a git repository."
        ) from None


class WorkspaceLost(RyxError):
    """The worktree vanished under the loop (deleted from outside): a fault to heal, never a
    candidate's failure."""


class Workspace:
    """The worktree where candidates are applied, scored and committed."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        with SafeRepo(self.root) as repo:
            self.git_dir = Path(repo.git.rev_parse("--git-common-dir"))
        if not self.git_dir.is_absolute():
            self.git_dir = (self.root / self.git_dir).resolve()
        self.path = self.git_dir / "ryx" / "worktree"
        self.healed: list[str] = []

    # -- lifecycle ---------------------------------------------------------------------------
    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """One loop per target: a second run on the same repo gets a clear error, not a fight
        over the worktree."""
        lock_path = self.git_dir / "ryx" / "run.lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise UsageError(
                    f"another Ryx run is working on {self.root}. Stop it with `ryx stop all` "
                    "or wait for it to finish."
                ) from None
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def prepare(self) -> str:
        """Clean leftovers of a crash, make sure the branch and worktree exist, reset them."""
        self.ensure()
        self.reset()
        return self.head()

    def ensure(self) -> None:
        """The branch and the worktree exist (after a crash or a clean exit alike). A worktree
        that git still lists but whose folder is gone was removed from outside: it is
        recreated, and the event kept for the night's account (`take_healed`)."""
        if self.path.parent.is_dir() and not self.path.exists() and self._listed():
            self.healed.append(f"the worktree {self.path} was removed from outside; recreated from {IMPROVE_BRANCH}")
        self.clean_leftovers()
        with SafeRepo(self.root) as repo:
            if IMPROVE_BRANCH not in [h.name for h in repo.heads]:
                repo.git.branch(IMPROVE_BRANCH, "HEAD")
                self._remember_base(repo)
            if not self._registered(repo):
                if self.path.exists():
                    shutil.rmtree(self.path)
                self.path.parent.mkdir(parents=True, exist_ok=True)
                repo.git.worktree("add", "--force", str(self.path), IMPROVE_BRANCH)

    @property
    def base_file(self) -> Path:
        """Where Ryx keeps the name of the branch ryx/improve follows (in its own .git/ryx)."""
        return self.git_dir / "ryx" / "base-branch"

    def base_branch(self) -> str | None:
        """The user's branch ryx/improve was made from and follows (None: detached, unknown)."""
        if self.base_file.is_file():
            return self.base_file.read_text(encoding="utf-8").strip() or None
        with SafeRepo(self.root) as repo:
            return self._remember_base(repo)

    def _remember_base(self, repo: SafeRepo) -> str | None:
        if repo.head.is_detached:
            return None
        name = repo.active_branch.name
        self.base_file.parent.mkdir(parents=True, exist_ok=True)
        self.base_file.write_text(name + "\n", encoding="utf-8")
        return name

    def take_healed(self) -> list[str]:
        """What ensure() repaired since the last call."""
        taken, self.healed = self.healed, []
        return taken

    def _listed(self) -> bool:
        with SafeRepo(self.root) as repo:
            listing = repo.git.worktree("list", "--porcelain")
        return any(line == f"worktree {self.path}" for line in listing.splitlines())

    def check_present(self) -> None:
        """WorkspaceLost when the worktree is gone: what failed was the loop's ground, not a candidate."""
        if not (self.path / ".git").is_file():
            raise WorkspaceLost(f"the worktree {self.path} was removed while a cycle used it; "
                                "it is recreated and the step retried.")

    def clean_leftovers(self) -> list[str]:
        """After a crash: prune, unlock our worktree, clear its stale index.lock (skills.heal)."""
        return clean_git_leftovers(self.root, stale_after_s=STALE_LOCK_S)

    def reset(self) -> None:
        """Back to the head of ryx/improve: no candidate left behind."""
        with SafeRepo(self.path) as wt:
            wt.git.reset("--hard", "HEAD")
            wt.git.clean("-ffdx", "-q")

    def remove(self) -> None:
        with SafeRepo(self.root) as repo:
            if self._registered(repo):
                repo.git.worktree("remove", "--force", str(self.path))

    # -- candidates --------------------------------------------------------------------------
    def head(self) -> str:
        with SafeRepo(self.path) as wt:
            return wt.head.commit.hexsha

    def tree(self) -> str:
        with SafeRepo(self.path) as wt:
            return wt.head.commit.tree.hexsha

    def snapshot(self) -> Snapshot:
        """Stage everything in the worktree: the diff against HEAD, changed and added paths."""
        with SafeRepo(self.path) as wt:
            wt.git.add("-A")
            diff = wt.git.diff("--cached", "--binary", "HEAD")
            status = wt.git.diff("--cached", "--name-status", "--no-renames", "-z", "HEAD").split("\0")
        pairs = list(zip(status[0::2], status[1::2], strict=False))
        return Snapshot(diff + "\n" if diff else "", [p for _, p in pairs],
                        [p for kind, p in pairs if kind == "A"])

    def staged_tree(self) -> str:
        """The tree of the worktree as it is now (candidate included), via the worktree's index."""
        with SafeRepo(self.path) as wt:
            wt.git.add("-A")
            return wt.git.write_tree()

    def apply(self, diff: str) -> None:
        """Reset, then apply a candidate's diff (so every node can re-materialise it)."""
        self.prepare()
        if not diff.strip():
            return
        with tempfile.NamedTemporaryFile("w", suffix=".diff", delete=False) as fh:
            fh.write(diff)
        try:
            with SafeRepo(self.path) as wt:
                wt.git.apply("--index", "--whitespace=nowarn", fh.name)
        except GitCommandError as exc:
            raise RyxError(f"could not re-apply the candidate in {self.path}: {exc.stderr.strip()}") from exc
        finally:
            os.unlink(fh.name)

    def commit(self, diff: str, message: str, candidate_id: str, *, base: str, tree: str) -> str:
        """Commit the candidate on ryx/improve; idempotent for the same candidate id.

        Only on top of `base` (the commit it was scored against) and only if the result is
        exactly the scored `tree`: a branch moved by anyone else, or a tree that differs from
        what was scored, lands nothing (RyxError)."""
        existing = self.find_candidate(candidate_id)
        if existing:
            return existing
        head = self.branch_head()
        if head != base:
            raise RyxError(f"{IMPROVE_BRANCH} moved from {base[:10]} to {head[:10]} outside Ryx "
                           "since this cycle began; nothing landed. Inspect it with `git log "
                           f"{IMPROVE_BRANCH}`; the next cycle starts from where it is now.")
        self.apply(diff)
        body = f"{message}\n\n{TRAILER}: {candidate_id}\n"
        with SafeRepo(self.path) as wt:
            if wt.git.write_tree() != tree:
                self.reset()
                raise RyxError(f"the candidate's tree is not the tree that was scored ({tree[:10]}); "
                               "nothing landed.")
            wt.git.commit("--no-verify", "-q", "-m", body, env=RYX_IDENTITY)
            return wt.head.commit.hexsha

    def branch_head(self) -> str:
        """Where ryx/improve points now (in the repository, not the worktree's view)."""
        with SafeRepo(self.root) as repo:
            return repo.git.rev_parse("--verify", f"refs/heads/{IMPROVE_BRANCH}")

    def revert(self, commit: str) -> str:
        """Undo an improvement on ryx/improve (for `ryx reject`)."""
        with SafeRepo(self.path) as wt:
            wt.git.revert("--no-edit", commit, env=RYX_IDENTITY)
            return wt.head.commit.hexsha

    def find_candidate(self, candidate_id: str, depth: int = 50) -> str | None:
        """The commit on ryx/improve that already carries this candidate, if any."""
        with SafeRepo(self.root) as repo:
            for commit in repo.iter_commits(IMPROVE_BRANCH, max_count=depth):
                if f"{TRAILER}: {candidate_id}" in commit.message:
                    return commit.hexsha
        return None

    # -- helpers -----------------------------------------------------------------------------
    def _registered(self, repo: SafeRepo) -> bool:
        listing = repo.git.worktree("list", "--porcelain")
        paths = [line[len("worktree "):] for line in listing.splitlines() if line.startswith("worktree ")]
        return any(Path(p).resolve() == self.path.resolve() for p in paths) and self.path.exists()


def missing_at_head(root: Path, paths: list[str]) -> list[str]:
    """Of `paths` (relative, `file::test` allowed), those the target's HEAD commit lacks: what
    the loop's worktree would lack too."""
    missing = []
    with SafeRepo(root) as repo:
        for path in paths:
            try:
                repo.git.cat_file("-e", f"HEAD:{path.split('::', 1)[0].rstrip('/')}")
            except GitCommandError:
                missing.append(path)
    return missing


def merge_into_current(root: Path, commit: str) -> str:
    """`ryx approve`: merge an improvement into the branch the user has checked out."""
    with SafeRepo(root) as repo:
        branch = repo.active_branch.name if not repo.head.is_detached else "HEAD"
        try:
            repo.git.merge("--no-edit", commit, env=RYX_IDENTITY if not _has_identity(repo) else None)
        except GitCommandError as exc:
            raise RyxError(
                f"could not merge {commit[:10]} into {branch}: {exc.stderr.strip()}. "
                "Commit or stash your changes, then run `ryx approve` again."
            ) from exc
        return branch


def _has_identity(repo: SafeRepo) -> bool:
    with repo.config_reader() as cfg:
        return cfg.has_option("user", "email")
