"""patch: ask the coding model for an edit, apply it in the worktree, validate it.

A reply that does not parse or apply, touches a protected path, is too large, or is
identical to a patch that already failed becomes a failed attempt whose reason the next
prompt carries; it is never scored.
"""

from __future__ import annotations

import hashlib

from langgraph.runtime import Runtime

from benchmark.protect import protected_violations
from graph.context import Context
from graph.policy import position
from nodes.support import (
    ask,
    format_attempts,
    guidance,
    load_prompt,
    memory,
    render,
    services,
    target_repo_name,
)
from ryx.codectx import format_files, read_files, test_source
from skills.edit import EditError, apply_edits, parse_reply
from state import Attempt, Candidate, RyxState

SMALL_FAILURE_CHARS = 600


def patch(state: RyxState, runtime: Runtime[Context]) -> dict:
    svc = services(runtime)
    weakness, attempts = state["weakness"], state.get("attempts") or []
    approach, attempt = position(attempts)
    reply, files = _ask_for_edit(svc, runtime, state)
    outcome = _apply(svc, reply, list(files), memory(runtime, svc), weakness["test_id"])
    if isinstance(outcome, str):
        svc.workspace.reset()
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
    if fmt == "whole_file":
        files = _context_files(svc, state, limit=1)
        _, function = test_source(svc.workspace.path, weakness["test_id"], whole_file_up_to=0)
        user = render(load_prompt(__file__, "user_whole_file.md"), test_source=function,
                      failure=weakness["failure"][:SMALL_FAILURE_CHARS], files=format_files(files),
                      path=next(iter(files), "the file"))
    else:
        files = _context_files(svc, state, limit=svc.config.context_files)
        user = render(load_prompt(__file__, "user.md"), **weakness, files=format_files(files),
                      plan=(state.get("research") or {}).get("plan", "(none)"),
                      attempts=format_attempts(attempts, detail=True),
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


def _apply(svc, reply: str, shown: list[str], mem, test_id: str) -> tuple[str, list[str], str] | str:
    """(diff, paths, candidate id) of the applied reply, or the reason it was refused."""
    ws = svc.workspace
    ws.prepare()
    try:
        edits = parse_reply(reply, known_paths=shown)
    except EditError as exc:
        return f"the reply could not be used as an edit: {exc}"
    result = apply_edits(ws.path, edits)
    if not result.ok:
        return "the edit did not apply: " + "\n".join(result.errors)
    diff, paths = ws.snapshot()
    if not paths:
        return "the edit changed nothing; the SEARCH and REPLACE text were identical"
    violations = protected_violations(paths, svc.config.benchmark)
    if violations:
        return "rejected unscored, protected path: " + "; ".join(violations)
    changed = sum(1 for ln in diff.splitlines() if ln[:1] in "+-" and ln[:3] not in ("+++", "---"))
    if changed > svc.config.max_diff_lines:
        return f"rejected unscored: the diff changes {changed} lines, over the cap of {svc.config.max_diff_lines}"
    cid = hashlib.sha256(diff.encode()).hexdigest()[:16]
    earlier = mem.failed_patch(test_id, cid)
    if earlier:
        return f"identical to a patch that already failed (not re-run): {earlier}"
    return diff, paths, cid


def _failed(approach: int, attempt: int, reason: str, state: RyxState) -> Attempt:
    points = (state.get("baseline") or {}).get("total", 0)
    return Attempt(approach=approach, attempt=attempt, candidate_id=None, status="failed",
                   reason=reason, points_before=points, points_after=None)
