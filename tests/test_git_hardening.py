"""Ryx's own git calls: no hook or fsmonitor of the repository runs, every call has a timeout,
nothing lands on a branch that moved, and `ryx approve` merges only what Ryx made and scored."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from loop_helpers import FIX, git, improve_args, make_target, reasoning_lines, replay_file, run_cli

from ryx.errors import RyxError
from ryx.gitops import Workspace
from ryx.gitsafe import GitTimeout, SafeRepo

HOOKS = ("pre-commit", "prepare-commit-msg", "commit-msg", "post-commit", "post-checkout", "post-merge",
         "pre-merge-commit", "post-rewrite", "reference-transaction", "pre-auto-gc", "post-index-change")


def _arm(repo: Path, evidence: Path) -> None:
    """Hooks in .git/hooks and in a core.hooksPath folder, and a core.fsmonitor that sleeps:
    each leaves a file in `evidence` if it ever runs."""
    evidence.mkdir()
    other = repo.parent / "hooks-elsewhere"
    other.mkdir()
    for folder in (repo / ".git" / "hooks", other):
        for name in HOOKS:
            hook = folder / name
            hook.write_text(f"#!/bin/sh\ntouch {evidence}/{name}-{folder.name}\n")
            hook.chmod(0o755)
    monitor = repo.parent / "fsmonitor.sh"
    monitor.write_text(f"#!/bin/sh\ntouch {evidence}/fsmonitor\nsleep 60\n")
    monitor.chmod(0o755)
    git(repo, "config", "core.fsmonitor", str(monitor))
    git(repo, "config", "core.hooksPath", str(other))


def test_no_hook_or_fsmonitor_of_the_repository_runs_in_a_cycle_approve_or_reject(tmp_path):
    target = make_target(tmp_path / "proj")
    evidence = tmp_path / "evidence"
    replay = replay_file(tmp_path / "r.jsonl", [{"role": "coding", "content": FIX}, *reasoning_lines()])
    db = tmp_path / "db.sqlite"
    _arm(target, evidence)
    probe = subprocess.run(["git", "-C", str(target), "-c", "core.fsmonitor=false", "commit",
                            "--allow-empty", "-qm", "probe"], capture_output=True)
    assert probe.returncode == 0 and list(evidence.iterdir()), "the hooks are armed for plain git"
    for made in evidence.iterdir():
        made.unlink()
    git(target, "-c", "core.fsmonitor=false", "-c", "core.hooksPath=/dev/null", "reset", "-q", "--soft", "HEAD~1")

    started = time.monotonic()
    result = run_cli(improve_args(target, replay, db), tmp_path / "home")
    listing = run_cli(["approvals", "--target", str(target), "--db", str(db)], tmp_path / "home", module="graph.cli")
    approval = next(ln.split()[0] for ln in listing.stdout.splitlines() if "pending core" in ln)
    approved = run_cli(["approve", approval, "--target", str(target), "--db", str(db)], tmp_path / "home",
                       module="graph.cli")

    assert result.returncode == 0 and approved.returncode == 0, result.stderr + approved.stderr
    assert "return a + b" in (target / "calc.py").read_text()
    assert sorted(p.name for p in evidence.iterdir()) == []
    assert time.monotonic() - started < 60, "an fsmonitor that sleeps 60 s was waited for"


def test_approve_refuses_a_commit_ryx_did_not_make_and_approvals_names_it(tmp_path):
    target = make_target(tmp_path / "proj")
    replay = replay_file(tmp_path / "r.jsonl", [{"role": "coding", "content": FIX}, *reasoning_lines()])
    db = tmp_path / "db.sqlite"
    assert run_cli(improve_args(target, replay, db), tmp_path / "home").returncode == 0
    listing = run_cli(["approvals", "--target", str(target), "--db", str(db)], tmp_path / "home", module="graph.cli")
    approval = next(ln.split()[0] for ln in listing.stdout.splitlines() if "pending core" in ln)
    # A stranger slips a commit under Ryx's: a new ryx/improve whose history holds it.
    ryx_commit = git(target, "rev-parse", "ryx/improve").strip()
    stranger = tmp_path / "stranger"
    git(target, "worktree", "add", "-q", "--detach", str(stranger), "main")
    (stranger / "backdoor.py").write_text("import os\n")
    git(stranger, "add", "backdoor.py")
    git(stranger, "commit", "-qm", "harmless cleanup")
    git(stranger, "cherry-pick", ryx_commit)
    git(target, "update-ref", "refs/heads/ryx/improve", git(stranger, "rev-parse", "HEAD").strip())
    git(target, "worktree", "remove", "--force", str(stranger))
    head = git(target, "rev-parse", "main")

    listing = run_cli(["approvals", "--target", str(target), "--db", str(db)], tmp_path / "home", module="graph.cli")

    assert listing.returncode == 0, listing.stderr
    assert f"commit {ryx_commit[:10]}" in listing.stdout and "calc.py" in listing.stdout
    # the approval's own commit is Ryx's; approving it alone merges nothing of the stranger's
    approved = run_cli(["approve", approval, "--target", str(target), "--db", str(db)], tmp_path / "home",
                       module="graph.cli")
    assert approved.returncode == 0, approved.stderr
    assert not (target / "backdoor.py").exists()
    # a candidate whose history holds the stranger's commit is refused, by name
    record_tree = git(target, "rev-parse", "ryx/improve^{tree}").strip()
    _pretend_ryx_made(db, target, "ryx/improve", record_tree)
    git(target, "reset", "-q", "--hard", head.strip())
    refused = run_cli(["approve", "fake00000", "--target", str(target), "--db", str(db)], tmp_path / "home",
                      module="graph.cli")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "Ryx did not make or score" in refused.stderr and "harmless cleanup" in refused.stderr
    assert "backdoor.py" in refused.stderr
    assert git(target, "rev-parse", "main") == head and not (target / "backdoor.py").exists()


def _pretend_ryx_made(db: Path, target: Path, ref: str, tree: str) -> None:
    """An approval record for the tip of `ref` (as if Ryx had landed it): only the commits
    under it are strangers."""
    from ryx.checkpoints import open_database
    from ryx.memory import Memory

    sha = git(target, "rev-parse", ref).strip()
    with open_database(db, exclusive=False) as database:
        Memory(database.store, target).put("approvals", "fake00000", {
            "id": "fake00000", "commit": sha, "tree": tree, "paths": ["calc.py"], "kind": "core",
            "test_id": "t", "before": 2, "after": 4, "status": "pending"})


def test_landing_refuses_a_moved_branch_and_a_tree_that_was_not_scored(tmp_path):
    target = make_target(tmp_path / "proj")
    ws = Workspace(target)
    base = ws.prepare()
    calc = ws.path / "calc.py"
    calc.write_text(calc.read_text().replace("a - b", "a + b"))
    diff = ws.snapshot().diff
    scored = ws.staged_tree()
    with pytest.raises(RyxError, match="is not the tree that was scored"):
        ws.commit(diff, "x", "cand1", base=base, tree="0" * 40)
    assert ws.branch_head() == base
    (target / "extra.txt").write_text("x\n")
    git(target, "add", "extra.txt")
    git(target, "commit", "-qm", "someone else")
    git(target, "update-ref", "refs/heads/ryx/improve", "main")
    with pytest.raises(RyxError, match="moved from .* outside Ryx"):
        ws.commit(diff, "x", "cand2", base=base, tree=scored)
    assert ws.find_candidate("cand2") is None
    ws.remove()


def test_a_git_command_that_runs_past_its_time_is_killed_and_raised(tmp_path, monkeypatch):
    target = make_target(tmp_path / "proj")
    git(target, "config", "filter.slow.clean", "sleep 5; cat")
    (target / ".gitattributes").write_text("*.slow filter=slow\n")
    (target / "data.slow").write_text("x\n")
    monkeypatch.setenv("RYX_GIT_TIMEOUT_S", "1")
    started = time.monotonic()
    with pytest.raises(GitTimeout, match="did not finish within 1 s"), SafeRepo(target) as repo:
        repo.git.add("-A")
    assert time.monotonic() - started < 4
    assert not (target / ".git" / "index.lock").exists()
    git(target, "status")  # the repository still answers


def test_a_slow_git_call_on_a_reply_is_a_refused_attempt_and_the_loop_goes_on(tmp_path):
    target = make_target(tmp_path / "proj")
    git(target, "config", "filter.slow.clean", "sleep 5; cat")
    (target / ".gitattributes").write_text("*.slow filter=slow\n")
    git(target, "add", ".gitattributes")
    git(target, "commit", "-qm", "attributes")
    slow = "data.slow\n```\n<<<<<<< SEARCH\n=======\nx\n>>>>>>> REPLACE\n```\n"
    replay = replay_file(tmp_path / "r.jsonl", [{"role": "coding", "times": 1, "content": slow},
                                                {"role": "coding", "content": FIX}, *reasoning_lines()])
    result = run_cli(improve_args(target, replay, tmp_path / "db.sqlite"), tmp_path / "home",
                     env={"RYX_GIT_TIMEOUT_S": "2"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "attempt 1/3: refused - the reply could not be applied (GitTimeout: git add -A did not finish within 2 s" \
        in result.stdout
    assert "attempt 2/3: improved" in result.stdout
