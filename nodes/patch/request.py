"""What the coding model is asked, in the reply format sized to it.

- search_replace (capable models): the test, failure, diagnosis, plan, research's evidence
  (verbatim, with provenance), notes, this cycle's attempts, earlier failures and up to
  `context_files` files; SEARCH/REPLACE blocks back.
- whole_function (small models, where the function under test is smaller than its file): the
  failing assertion, that one function, and the same evidence, notes, this cycle's attempts and
  earlier failures trimmed to fit; the whole function back, in a grammar where the runtime
  takes one.
- whole_file (small models otherwise): the same, with the one file; the whole file back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from benchmark.protect import protected_violations
from nodes.evidence import budget_chars, fit, format_evidence
from nodes.patch.function import as_edit, grammar
from nodes.support import (
    format_attempts,
    format_earlier,
    guidance,
    load_prompt,
    memory,
    render,
    target_repo_name,
)
from ryx.codectx import FunctionSpan, format_files, function_under_test, read_files, test_source
from state import RyxState

SMALL_FAILURE_CHARS = 600  # the failing assertion and its values, for a small model
SMALL_NOTES_CHARS = 400
SMALL_EARLIER_CHARS = 700
SMALL_ATTEMPTS_CHARS = 400
SMALL_EVIDENCE_SHARE = 0.08  # of the context: two short excerpts for a small model
EVIDENCE_SHARE = 0.2  # of the context, for a capable model (the plan and files come on top)


@dataclass(frozen=True)
class Request:
    """One prompt for the coding model, and how to read what comes back."""

    system: str
    user: str
    shown: list[str]  # the files the model saw (the paths a reply may name without saying)
    grammar: str | None = None  # GBNF for runtimes that take one
    span: FunctionSpan | None = None  # whole_function: the function the reply replaces

    def as_edit(self, reply: str) -> str:
        """The reply as the edit skill reads it (ValueError: it holds no usable edit)."""
        return as_edit(self.span, reply) if self.span else reply


def edit_format(svc) -> str:
    """SEARCH/REPLACE for capable models; a whole function or small file for the embedded one."""
    if svc.config.edit_format != "auto":
        return svc.config.edit_format
    return "whole_function" if svc.ctx.coding_model.startswith("embedded:") else "search_replace"


def build_request(svc, runtime, state: RyxState) -> Request:
    fmt = edit_format(svc)
    earlier = memory(runtime, svc).earlier_failures(state["weakness"]["test_id"],
                                                    before=state.get("cycle_started", 0))
    notes = guidance(runtime, svc, state["weakness"]["test_id"])
    if fmt == "search_replace":
        return _search_replace(svc, state, earlier, notes)
    if fmt == "whole_function":
        span = _function(svc, state)
        if span is not None:
            return _whole_function(svc, state, span, earlier, notes)
    return _whole_file(svc, state, earlier, notes)


def _search_replace(svc, state: RyxState, earlier: list[dict], notes: str) -> Request:
    weakness = state["weakness"]
    files = context_files(svc, state, limit=svc.config.context_files)
    evidence = fit(_evidence(svc, state, hide=list(files)), budget_chars(svc.pool.settings.num_ctx, EVIDENCE_SHARE))
    user = render(load_prompt(__file__, "user.md"), **weakness, files=format_files(files),
                  plan=(state.get("research") or {}).get("plan", "(none)"), evidence=format_evidence(evidence),
                  attempts=format_attempts(state.get("attempts") or [], detail=True),
                  earlier=format_earlier(earlier), notes=notes)
    return Request(load_prompt(__file__, "system_search_replace.md"), user, list(files))


def _whole_function(svc, state: RyxState, span: FunctionSpan, earlier: list[dict], notes: str) -> Request:
    """The function, what it returns and what the test wants, and nothing else a small model
    must read past (in probes this prompt tripled the embedded model's fixes per sample)."""
    small = _small_context(svc, state, earlier, notes)
    problem = plain_failure(state["weakness"]["failure"]) or (
        f"This test fails:\n\n```python\n{small['test_source'].rstrip()}\n```\n\n"
        f"Error:\n```\n{small['failure']}\n```")
    user = render(load_prompt(__file__, "user_whole_function.md"), function=span.source.rstrip(),
                  problem=problem, extra=small["extra"], name=span.name)
    return Request(load_prompt(__file__, "system_whole_function.md"), user, [span.path],
                   grammar=grammar(span), span=span)


def _whole_file(svc, state: RyxState, earlier: list[dict], notes: str) -> Request:
    files = context_files(svc, state, limit=1)
    user = render(load_prompt(__file__, "user_whole_file.md"), **_small_context(svc, state, earlier, notes),
                  files=format_files(files), path=next(iter(files), "the file"))
    return Request(load_prompt(__file__, "system_whole_file.md"), user, list(files))


def _small_context(svc, state: RyxState, earlier: list[dict], notes: str) -> dict[str, str]:
    """The smallest context that holds the answer: the test function, the failing assertion,
    and research's evidence, the person's notes, this cycle's attempts and earlier failures
    only where there are some, trimmed."""
    weakness = state["weakness"]
    _, function = test_source(svc.workspace.path, weakness["test_id"], whole_file_up_to=0)
    extra = ""
    elsewhere = _evidence(svc, state, hide=None)  # the target's own code is what the prompt shows
    evidence = fit(elsewhere, budget_chars(svc.pool.settings.num_ctx, SMALL_EVIDENCE_SHARE))
    if evidence:
        extra += f"\nCode and pages research found (use them if they help):\n{format_evidence(evidence)}\n"
    if notes != "(none)":
        extra += f"\nNotes from the person who supervises Ryx:\n{notes[:SMALL_NOTES_CHARS]}\n"
    attempts = state.get("attempts") or []
    if attempts:
        extra += f"\nFailed so far in this cycle:\n{format_attempts(attempts)[-SMALL_ATTEMPTS_CHARS:]}\n"
    if earlier:
        extra += ("\nTried before and failed (do not repeat):\n"
                  f"{format_earlier(earlier, limit_chars=SMALL_EARLIER_CHARS)}\n")
    return {"test_source": function, "failure": weakness["failure"][:SMALL_FAILURE_CHARS], "extra": extra}


_ASSERT = re.compile(r"^\s*(?:E\s+)?(?:AssertionError: )?assert (.+?) == (.+?)\s*$", re.MULTILINE)
_WHERE = re.compile(r"^\s*(?:E\s+)?\+\s+where (.+?) = (.+?)\s*$", re.MULTILINE)
_SOURCE = re.compile(r"^\s*>\s+assert (.+?) == (.+?)\s*$", re.MULTILINE)


def plain_failure(failure: str) -> str | None:
    """`count([1, 2, 3])` returns 4, but it should return 3. — from pytest's assertion report:
    one equality, and the call that gave its left side (pytest's `where` line, else the
    asserting source line); None when the report holds no such pair."""
    asserted = _ASSERT.search(failure)
    if not asserted:
        return None
    got, want = asserted.groups()
    where, source = _WHERE.search(failure), _SOURCE.search(failure)
    if where and where.group(1) == got:
        call = where.group(2)
    elif source and source.group(2) == want and source.group(1) != got:
        call = source.group(1)
    else:
        return None
    return f"`{call}` returns {got}, but it should return {want}."


def _function(svc, state: RyxState) -> FunctionSpan | None:
    """The function under test, when rewriting it is smaller than rewriting its file."""
    weakness = state["weakness"]
    paths = candidate_paths(svc, state)
    span = function_under_test(svc.workspace.path, paths, weakness["test_source"], weakness["failure"])
    if span is None:
        return None
    whole = (svc.workspace.path / span.path).read_text(encoding="utf-8", errors="replace")
    return span if len(span.source) < len(whole) else None


def _evidence(svc, state: RyxState, hide: list[str] | None) -> list:
    """Research's evidence less what the prompt shows anyway: the target's files in `hide`
    (None: every excerpt of the target)."""
    own = f"{target_repo_name(svc)}:"
    items = (state.get("research") or {}).get("evidence") or []
    if hide is None:
        return [e for e in items if not e["source"].startswith(own)]
    shown = tuple(f"{own}{path}:" for path in hide)
    return [e for e in items if not e["source"].startswith(shown)]


def candidate_paths(svc, state: RyxState) -> list[str]:
    """Files the fix may change: the weakness's suspects, then what research pointed to in the
    target; never a protected path."""
    paths = list(state["weakness"].get("suspects") or [])
    for source in (state.get("research") or {}).get("sources", []):
        repo, _, rest = source.partition(":")
        if repo == target_repo_name(svc):
            paths.append(rest.rsplit(":", 1)[0])
    return [p for p in dict.fromkeys(paths) if not protected_violations([p], svc.config.benchmark)]


def context_files(svc, state: RyxState, limit: int) -> dict[str, str]:
    return read_files(svc.workspace.path, candidate_paths(svc, state), limit)

