"""Which skills a cycle works with, and calling them.

For any target, the loop's own `skills/` package (trusted: it is the user's install). When Ryx
improves itself, each cycle instead runs the skills of the head of ryx/improve, so what landed
in one cycle does the work of the next: a snapshot of that commit's `skills/` folder, run by
`skills_worker.py` in the sandbox, never imported into the loop. A snapshot whose skills
crash is `SkillsBroken`: the loop reverts it on ryx/improve and goes on with the last good one.
"""

from __future__ import annotations

import json
import sys
import tarfile
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ryx.errors import RyxError
from ryx.gitops import RYX_IDENTITY, Workspace
from ryx.gitsafe import SafeRepo, run_git
from ryx.memory import Memory
from ryx.sandbox import Channel, Sandbox, View, remove_tree, run
from skills.search import Hit

WORKER = Path(__file__).with_name("skills_worker.py")
CALL_TIMEOUT_S = 300.0


class SkillsBroken(RyxError):
    """The skills of a commit crash or cannot be imported: they break the loop."""

    def __init__(self, commit: str, reason: str, detail: str = "") -> None:
        super().__init__(f"the skills of {commit[:10]} break the loop: {reason}")
        self.commit, self.reason, self.detail = commit, reason, detail


@dataclass(frozen=True)
class EditOutcome:
    changed: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    edit_error: str | None = None  # the reply could not be read as edits at all


def is_ryx_checkout(root: Path) -> bool:
    """A clone of Ryx itself: its skills are what the loop improves."""
    pyproject = Path(root) / "pyproject.toml"
    if not (Path(root) / "skills" / "__init__.py").is_file() or not pyproject.is_file():
        return False
    try:
        return tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {}).get("name") == "ryx"
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return False


class LocalSkills:
    """The loop's own skills, imported (trusted)."""

    commit: str | None = None

    def ping(self) -> None:
        return None

    def edit(self, root: Path, reply: str, known_paths: list[str]) -> EditOutcome:
        from skills.edit import EditError, apply_edits, parse_reply

        try:
            edits = parse_reply(reply, known_paths=known_paths)
        except EditError as exc:
            return EditOutcome(edit_error=str(exc))
        result = apply_edits(root, edits)
        return EditOutcome(tuple(result.changed), tuple(result.errors))

    def feedback(self, output: str, test_id: str | None = None, limit_chars: int = 1500) -> tuple[str, list[str]]:
        from skills.heal import feedback_for_model, summarize_pytest_output

        failures = summarize_pytest_output(output)
        if test_id:
            failures = [f for f in failures if f.test_id == test_id] or failures
        text = feedback_for_model(failures, limit_chars=limit_chars) if failures else ""
        return text, [f.file for f in failures if f.file]

    def search(self, db: Path, repos: list[tuple[str, Path]], query: str, limit: int) -> list[Hit]:
        from skills.search import CodeIndex

        index = CodeIndex(db)
        try:
            for name, root in repos:
                index.update(name, root)
            return index.search(query, limit=limit)
        finally:
            index.close()


class SnapshotSkills:
    """The skills of one commit, run by the worker in the sandbox."""

    def __init__(self, commit: str, snapshot: Path, sandbox: Sandbox) -> None:
        self.commit, self.snapshot, self.sandbox = commit, snapshot, sandbox

    def ping(self) -> None:
        self._call({"op": "ping"})

    def edit(self, root: Path, reply: str, known_paths: list[str]) -> EditOutcome:
        result = self._call({"op": "edit", "reply": reply, "known_paths": known_paths}, tree=root,
                            readonly=(".git",))
        return EditOutcome(tuple(result.get("changed", ())), tuple(result.get("errors", ())),
                           result.get("edit_error"))

    def feedback(self, output: str, test_id: str | None = None, limit_chars: int = 1500) -> tuple[str, list[str]]:
        result = self._call({"op": "feedback", "output": output, "test_id": test_id, "limit_chars": limit_chars})
        return str(result.get("text", "")), [str(f) for f in result.get("files", [])]

    def search(self, db: Path, repos: list[tuple[str, Path]], query: str, limit: int) -> list[Hit]:
        db.parent.mkdir(parents=True, exist_ok=True)
        result = self._call({"op": "search", "query": query, "limit": limit, "repos": repos, "db": db.name},
                            tree=db.parent, dirs=tuple(root for _, root in repos))
        return [Hit(**hit) for hit in result.get("hits", [])]

    def _call(self, request: dict[str, Any], *, tree: Path | None = None, readonly: tuple[str, ...] = (),
              dirs: tuple[Path, ...] = ()) -> dict[str, Any]:
        """One worker run: `tree` read-write (its `readonly` parts not), `dirs` read-only."""
        with tempfile.TemporaryDirectory(prefix="ryx-skills-") as tmp:
            request_file = Path(tmp) / "request.json"
            request_file.touch()
            tree = tree or Path(tmp) / "work"
            tree.mkdir(exist_ok=True)
            view = View(tree=tree, name=tree.name, python=sys.executable, readonly=readonly,
                        files=(WORKER, self.snapshot, request_file, *dirs), tmp_mb=256, memory_mb=2048)
            placed = self.sandbox.place(view)
            request_file.write_text(json.dumps(_as_seen(request, placed)), encoding="utf-8")
            channel = Channel()
            try:
                command = [sys.executable, "-I", "-B", placed.file(WORKER), placed.file(self.snapshot),
                           placed.file(request_file), channel.path]
                done = run(self.sandbox.launch(view, placed, command), timeout=CALL_TIMEOUT_S, channel=channel)
            finally:
                channel.close()
        return self._result(request["op"], done)

    def _result(self, op: str, done) -> dict[str, Any]:
        try:
            result = json.loads(done.channel) if done.channel.strip() else None
        except json.JSONDecodeError:
            result = None
        if not isinstance(result, dict):
            why = "timed out" if done.timed_out else f"exit {done.returncode}"
            raise SkillsBroken(self.commit, f"`{op}` gave no result ({why})", done.output[-3000:])
        if "crash" in result:
            crash = str(result["crash"])
            last = next((ln for ln in reversed(crash.splitlines()) if ln.strip()), "an exception")
            raise SkillsBroken(self.commit, f"`{op}` raised {last.strip()}", crash[-3000:])
        return result


def _as_seen(request: dict[str, Any], placed) -> dict[str, Any]:
    """The request with host paths replaced by where the worker sees them."""
    seen = {**request, "root": placed.root}
    if "repos" in request:
        seen["repos"] = [[name, placed.file(Path(root))] for name, root in request["repos"]]
        seen["db"] = f"{placed.root}/{request['db']}"
    return seen


def snapshot_skills(root: Path, commit: str, cache: Path) -> Path:
    """The `skills/` folder of `commit`, unpacked once into `cache/<commit>/skills`."""
    target = cache / commit
    if (target / "skills" / "__init__.py").is_file():
        return target / "skills"
    partial = cache / f"{commit}.partial"
    remove_tree(partial)
    partial.mkdir(parents=True)
    archive = partial / "skills.tar"
    run_git(root, "archive", "--format=tar", "-o", str(archive), commit, "skills")
    with tarfile.open(archive) as tar:
        tar.extractall(partial, filter="data")
    archive.unlink()
    remove_tree(target)
    partial.rename(target)
    return target / "skills"


@dataclass(frozen=True)
class Choice:
    """The skills a cycle runs: None for the loop's own, else a commit of ryx/improve."""

    commit: str | None
    reverted: tuple[str, ...] = ()  # what was reverted on the way (one line each)


def choose_skills(ws: Workspace, mem: Memory, cache: Path, sandbox: Sandbox) -> Choice:
    """When Ryx works on itself: the head of ryx/improve, if its skills pass the ping; else
    the skills that broke are reverted there (with the reason) and the head after that is used."""
    if not is_ryx_checkout(ws.root):
        return Choice(None)
    reverted: list[str] = []
    for _ in range(3):
        head = ws.branch_head()
        try:
            SnapshotSkills(head, snapshot_skills(ws.root, head, cache), sandbox).ping()
            return Choice(head, tuple(reverted))
        except SkillsBroken as broken:
            reverted.append(revert_broken(ws, mem, broken))
    raise RyxError("the skills of ryx/improve still break the loop after three reverts; look at "
                   "`git log ryx/improve -- skills`, fix or reset it, then run again.")


def remember_good(mem: Memory, commit: str | None) -> None:
    """A cycle finished with these skills."""
    if commit:
        mem.put("skills", "good", {"commit": commit})


def revert_broken(ws: Workspace, mem: Memory, broken: SkillsBroken) -> str:
    """Revert, on ryx/improve, every skills change Ryx landed since the last good skills (the
    newest first), each commit naming the reason; one line saying what was done."""
    good = (mem.get("skills", "good") or {}).get("commit")
    landed = {a["commit"] for a in mem.all("approvals").values()}
    culprits = [c for c in _skills_commits(ws, good, broken.commit) if c in landed]
    if not culprits:
        raise RyxError(f"{broken}. No commit Ryx landed since the last good skills touched skills/, "
                       "so there is nothing Ryx may revert: fix skills/ on your branch, then run again.")
    ws.prepare()
    for sha in culprits:
        _revert_one(ws, mem, sha, broken.reason)
    return f"reverted {', '.join(c[:10] for c in culprits)} on ryx/improve: {broken}"


def _skills_commits(ws: Workspace, good: str | None, bad: str) -> list[str]:
    span = f"{good}..{bad}" if good else bad
    with SafeRepo(ws.root) as repo:
        return repo.git.rev_list(span, "--", "skills").split()


def _revert_one(ws: Workspace, mem: Memory, sha: str, reason: str) -> None:
    with SafeRepo(ws.path) as wt:
        wt.git.revert("--no-commit", sha)
        wt.git.commit("--no-verify", "-q", "-m", f"ryx: revert {sha[:10]}: its skills break the loop\n\n{reason}",
                      env=RYX_IDENTITY)
        commit = wt.head.commit
    mem.put("made", commit.hexsha, {"commit": commit.hexsha, "tree": commit.tree.hexsha,
                                    "why": f"revert of {sha[:10]}: skills that break the loop"})
    for key, record in mem.all("approvals").items():
        if record["commit"] == sha:
            mem.put("approvals", key, {**record, "status": "reverted", "revert_commit": commit.hexsha,
                                       "revert_tree": commit.tree.hexsha})
