"""patch: ask the coding model for an edit, apply it in the worktree, validate it.

A reply that does not parse or apply, touches a protected path, is too large, or is
identical to a patch that already failed becomes a failed attempt whose reason the next
prompt carries; it is never scored.
"""

from __future__ import annotations

import hashlib

from git import GitCommandError
from langgraph.runtime import Runtime

from benchmark.protect import protected_violations
from benchmark.runner import python_of
from benchmark.screen import reaching_into_the_runner, shadowing
from nodes.support import (
    ask,
    format_attempts,
    format_earlier,
    guidance,
    load_prompt,
    memory,
    render,
    services,
    skills,
    target_repo_name,
)
from ryx.codectx import format_files, read_files, test_source
from ryx.errors import RyxError
from ryx.sandbox import module_names
from ryx.skillset import SkillsBroken
from state import Attempt, Candidate, RyxState
from state.context import Context
from state.policy import position

SMALL_FAILURE_CHARS = 600


def patch(state: RyxState, runtime: Runtime[Context]) -> dict:
    svc = services(runtime)
    weakness, attempts = state["weakness"], state.get("attempts") or []
    approach, attempt = position(attempts)
    reply, files = _ask_for_edit(svc, runtime, state)
    mem = memory(runtime, svc)
    outcome = _apply(svc, skills(svc, state), reply, list(files), mem, weakness["test_id"])
    if isinstance(outcome, str):
        svc.workspace.reset()
        refused = "r" + hashlib.sha256(reply.encode("utf-8", "replace")).hexdigest()[:15]
        mem.remember_failed_patch(weakness["test_id"], refused, outcome[:2000], approach=approach,
                                  cycle=state.get("cycle"))
        return {"attempts": [_failed(approach, attempt, outcome, state)]}
    diff, paths, cid = outcome
    summary = f"{len(paths)} file(s): {', '.join(paths)}"
    return {"candidate": Candidate(id=cid, approach=approach, attempt=attempt, diff=diff,
                                   paths=paths, summary=summary)}


def edit_format(svc) -> str:
    """SEARCH/REPLACE for capable models; whole small files for the tiny embedded one."""
    if svc.config.edit_format != "auto":
        return svc.config.edit_format
    return "whole_file" if svc.ctx.coding_model.startswith("embedded:") else "search_replace"


def _ask_for_edit(svc, runtime, state: RyxState) -> tuple[str, dict[str, str]]:
    """The coding model's reply, and the files it was shown (whole-file mode: one file, short prompt)."""
    weakness, attempts = state["weakness"], state.get("attempts") or []
    fmt = edit_format(svc)
    earlier = memory(runtime, svc).earlier_failures(weakness["test_id"], before=state.get("cycle_started", 0))
    if fmt == "whole_file":
        files = _context_files(svc, state, limit=1)
        _, function = test_source(svc.workspace.path, weakness["test_id"], whole_file_up_to=0)
        user = render(load_prompt(__file__, "user_whole_file.md"), test_source=function,
                      failure=weakness["failure"][:SMALL_FAILURE_CHARS], files=format_files(files),
                      path=next(iter(files), "the file"), earlier=format_earlier(earlier, limit_chars=1200))
    else:
        files = _context_files(svc, state, limit=svc.config.context_files)
        user = render(load_prompt(__file__, "user.md"), **weakness, files=format_files(files),
                      plan=(state.get("research") or {}).get("plan", "(none)"),
                      attempts=format_attempts(attempts, detail=True), earlier=format_earlier(earlier),
                      notes=guidance(runtime, svc, weakness["test_id"]))
    temperature = retry_temperature(svc.pool.settings.temperature, len(attempts))
    return ask(svc, "coding", load_prompt(__file__, f"system_{fmt}.md"), user, temperature), files


def retry_temperature(base: float, failures: int) -> float:
    """Each try of an approach samples hotter (base, +0.3, +0.6), so retries are not the same patch."""
    return round(min(1.0, base + 0.3 * (failures % 3)), 2)


def _context_files(svc, state: RyxState, limit: int) -> dict[str, str]:
    weakness = state["weakness"]
    paths = list(weakness.get("suspects") or [])
    for source in (state.get("research") or {}).get("sources", []):
        repo, _, rest = source.partition(":")
        if repo == target_repo_name(svc):
            paths.append(rest.rsplit(":", 1)[0])
    paths = [p for p in dict.fromkeys(paths) if not protected_violations([p], svc.config.benchmark)]
    return read_files(svc.workspace.path, paths, limit)


def _apply(svc, tools, reply: str, shown: list[str], mem, test_id: str) -> tuple[str, list[str], str] | str:
    """(diff, paths, candidate id) of the applied reply, or the reason it was refused.

    Whatever a reply holds (NUL bytes, lone surrogates, paths no file system takes, a git
    command that times out), it ends as a refusal with a reason, never as a crash. Skills
    that crash are not the reply's fault: SkillsBroken goes up to the session."""
    try:
        return _apply_reply(svc, tools, reply, shown, mem, test_id)
    except SkillsBroken:
        raise
    except (ValueError, OSError, RyxError, GitCommandError) as exc:
        svc.workspace.check_present()  # a vanished worktree is the loop's fault, not the reply's
        return f"the reply could not be applied ({type(exc).__name__}: {str(exc)[:500]})"


def _apply_reply(svc, tools, reply: str, shown: list[str], mem, test_id: str) -> tuple[str, list[str], str] | str:
    ws = svc.workspace
    ws.prepare()
    result = tools.edit(ws.path, reply, shown)
    if result.edit_error:
        return f"the reply could not be used as an edit: {result.edit_error}"
    if result.errors:
        return "the edit did not apply: " + "\n".join(result.errors)
    snap = ws.snapshot()
    if not snap.paths:
        return "the edit changed nothing; the SEARCH and REPLACE text were identical"
    refusal = _screen(svc, snap)
    if refusal:
        return refusal
    cid = hashlib.sha256(snap.diff.encode()).hexdigest()[:16]
    earlier = mem.failed_patch(test_id, cid)
    if earlier:
        return f"identical to a patch that already failed (not re-run): {earlier}"
    return snap.diff, snap.paths, cid


def _screen(svc, snap) -> str | None:
    """Why the staged candidate may not be scored at all, or None."""
    spec = svc.config.benchmark
    violations = protected_violations(snap.paths, spec)
    if violations:
        return "rejected unscored, protected path: " + "; ".join(violations)
    shadows = shadowing(snap.added, module_names(python_of(svc.workspace.path, spec), own="ryx"))
    if shadows:
        return "rejected unscored, it would shadow a module: " + "; ".join(shadows)
    reaching = reaching_into_the_runner(snap.diff)
    if reaching:
        return ("rejected unscored, it reaches into the test runner instead of fixing the code: "
                + "; ".join(reaching[:3]))
    changed = sum(1 for ln in snap.diff.splitlines() if ln[:1] in "+-" and ln[:3] not in ("+++", "---"))
    if changed > svc.config.max_diff_lines:
        return f"rejected unscored: the diff changes {changed} lines, over the cap of {svc.config.max_diff_lines}"
    return None


def _failed(approach: int, attempt: int, reason: str, state: RyxState) -> Attempt:
    points = (state.get("baseline") or {}).get("total", 0)
    return Attempt(approach=approach, attempt=attempt, candidate_id=None, status="failed",
                   reason=reason, points_before=points, points_after=None)
