"""What every node needs: the run's services (config, worktree, models, memory) and prompts."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from langgraph.runtime import Runtime
from langgraph.store.base import BaseStore
from langgraph.store.memory import InMemoryStore

from ryx import control
from ryx.budget import SizeBook
from ryx.config import RyxConfig, load_config
from ryx.control import ryx_home
from ryx.gitops import Workspace, open_target
from ryx.library import Indexer, Library, Plan, plan_for, research_folder
from ryx.live import LIVE
from ryx.memory import Memory
from ryx.meter import Meter
from ryx.models import (
    ModelPool,
    ModelSettings,
    check_available,
    describe_choice,
    resolve_specs,
    settings_for,
    varied,
)
from ryx.sandbox import Sandbox
from ryx.skillset import LocalSkills, SnapshotSkills, snapshot_skills
from ryx.webcache import WebCache
from state.context import AUTO, Context
from state.policy import APPROACHES, MAX_FAILURES, TRIES_PER_APPROACH

MODEL_ATTEMPTS = 3
_FALLBACK_STORE = InMemoryStore()
_POOLS: list[ModelPool] = []
_LOCAL_SKILLS = LocalSkills()
_INDEXERS: dict[Path, Indexer] = {}
LIBRARY_REFRESH_S = 600.0  # a run looks for new and changed repos at most this often


@dataclass(frozen=True)
class Services:
    ctx: Context
    root: Path
    config: RyxConfig
    workspace: Workspace
    pool: ModelPool
    meter: Meter  # seconds by phase and model loads, for the night's report


@lru_cache(maxsize=8)
def services_for(ctx: Context) -> Services:
    """The services of the run described by `ctx` (built once per process and context)."""
    root = open_target(ctx.target)
    config = load_config(root)
    if not ctx.sandbox:  # the user's explicit --no-sandbox
        config = replace(config, benchmark=replace(config.benchmark, sandbox=False))
    settings = settings_for(config)
    ctx = _resolved(ctx, config, settings)
    control.register_served(str(root), ctx.db_path, ctx.specs())  # a run from Studio: `stop all` sees it
    meter = Meter()
    pool = ModelPool(ctx.specs(), settings, meter, SizeBook(ryx_home() / "model-sizes.json"))
    _POOLS.append(pool)
    return Services(ctx, root, config, Workspace(root), pool, meter)


def _resolved(ctx: Context, config: RyxConfig, settings: ModelSettings) -> Context:
    """`auto` model fields chosen as the CLI chooses them (a run from Studio, or a direct
    invoke): the target's [models], on Ollama if it answers, else the embedded model."""
    auto = [role for role, spec in ctx.specs().items() if spec == AUTO]
    if not auto:
        return ctx
    specs = resolve_specs("auto", config.models, None, settings)
    check_available({role: specs[role] for role in auto}, settings)
    print(describe_choice(specs, settings), flush=True)
    return replace(ctx, **{f"{role}_model": specs[role] for role in auto})


def services(runtime: Runtime[Context] | None) -> Services:
    """The services of this run; a direct invoke() without context gets the defaults."""
    ctx = runtime.context if runtime is not None and runtime.context is not None else Context()
    return services_for(ctx)


def memory(runtime: Runtime[Context] | None, svc: Services) -> Memory:
    store: BaseStore | None = runtime.store if runtime is not None else None
    return Memory(store if store is not None else _FALLBACK_STORE, svc.root)


def unload_all_models() -> list[str]:
    """Free every model the cached services loaded (for stop and exit)."""
    names: list[str] = []
    for pool in _POOLS:
        names.extend(pool.unload_all())
    return names


def skills_cache(svc: Services) -> Path:
    """Where snapshots of skills/ of ryx/improve commits are unpacked (beside the database)."""
    return Path(svc.ctx.db_path).parent / "skills"


def research_index(svc: Services) -> Path:
    return research_folder(svc.ctx.db_path) / "index.sqlite"


def web_cache(svc: Services) -> WebCache:
    return WebCache(research_folder(svc.ctx.db_path) / "web.sqlite", ttl_s=svc.config.web_ttl_s)


def research_plan(svc: Services) -> Plan:
    return plan_for(svc.config, skip=(svc.workspace.path,))


def research_library(svc: Services) -> Indexer:
    """The library of this run's research folder, its indexer started on first use."""
    folder = research_folder(svc.ctx.db_path)
    indexer = _INDEXERS.get(folder)
    if indexer is None:
        indexer = Indexer(Library(folder), lambda: research_plan(svc), refresh_s=LIBRARY_REFRESH_S)
        _INDEXERS[folder] = indexer.start()
    return indexer


def stop_research() -> None:
    """Stop every background indexer this process started (for stop and exit)."""
    while _INDEXERS:
        _, indexer = _INDEXERS.popitem()
        indexer.stop()
        indexer.library.close()


def skills(svc: Services, state) -> LocalSkills | SnapshotSkills:
    """The skills this cycle runs (chosen by route): the loop's own, or a ryx/improve commit's."""
    commit = state.get("skills")
    if not commit:
        return _LOCAL_SKILLS
    snapshot = snapshot_skills(svc.root, commit, skills_cache(svc))
    return SnapshotSkills(commit, snapshot, Sandbox(svc.config.benchmark.sandbox))


def target_repo_name(svc: Services) -> str:
    """The target's name in the shared code index (unique per target, stable across runs)."""
    from ryx.memory import target_key

    return f"target-{target_key(svc.root)}"


def load_prompt(node_file: str, name: str) -> str:
    """A prompt file beside the node that uses it."""
    return (Path(node_file).parent / name).read_text(encoding="utf-8")


POLICY_NUMBERS = {"tries": TRIES_PER_APPROACH, "approaches": len(APPROACHES), "max_failures": MAX_FAILURES}


def render(template: str, **values: Any) -> str:
    """Fill a prompt; the policy's numbers ({tries}, {approaches}, {max_failures}) always fit."""
    return template.format(**{**POLICY_NUMBERS, **values})


def ask(svc: Services, role: str, system: str, user: str, temperature: float | None = None,
        seed: int | None = None, grammar: str | None = None) -> str:
    """One call of the role's model; the reply text. A temperature and a seed vary the sample
    where the model takes them; a GBNF grammar constrains the reply where the runtime can."""
    from langchain_core.messages import HumanMessage, SystemMessage

    meter = svc.pool.meter
    with meter.timing("model"), meter.timing(f"role:{role}"):
        model, kwargs = varied(svc.pool.for_role(role), temperature, seed, grammar)
        messages = [SystemMessage(content=system), HumanMessage(content=user)]
        if LIVE.on:
            reply = _invoke_with_retries(_streamed(model, role, svc.pool.specs[role]), messages, kwargs)
        else:
            reply = _invoke_with_retries(model.invoke, messages, kwargs)
    svc.pool.after_call()
    _count_call(meter, role, reply)
    content = reply.content
    if isinstance(content, list):
        content = "".join(part if isinstance(part, str) else part.get("text", "") for part in content)
    return str(content)


def _streamed(model, role: str, spec: str):
    """`invoke`, but streamed: the terminal shows the role, the model and the tokens so far."""
    from langchain_core.messages import AIMessage

    def call(messages, **kwargs):
        whole, tokens, started = None, 0, time.monotonic()
        LIVE.show(f"  {role} ({spec}): waiting for the first token...", force=True)
        try:
            for chunk in model.stream(messages, **kwargs):
                whole = chunk if whole is None else whole + chunk
                tokens += 1
                LIVE.show(f"  {role} ({spec}): {tokens} tokens, {time.monotonic() - started:.0f} s")
        finally:
            LIVE.clear()
        return whole if whole is not None else AIMessage(content="")

    return call


def _count_call(meter, role: str, reply) -> None:
    """Calls, tokens in and out, and the server's own load time of the call, per role."""
    meter.count(f"calls:{role}")
    usage = getattr(reply, "usage_metadata", None) or {}
    meter.count(f"tokens_in:{role}", int(usage.get("input_tokens", 0)))
    meter.count(f"tokens_out:{role}", int(usage.get("output_tokens", 0)))
    load_ns = (getattr(reply, "response_metadata", None) or {}).get("load_duration") or 0
    if load_ns:
        meter.add(f"load_s:{role}", load_ns / 1e9)


def guidance(runtime: Runtime[Context] | None, svc: Services, test_id: str) -> str:
    """The person's notes for this test and for the target in general, and the lesson the
    supervisor model drew from earlier failures at this test."""
    mem = memory(runtime, svc)
    notes = [mem.get("notes", key) for key in (test_id, "*")]
    lesson = mem.get("lessons", test_id)
    lines = [n["text"] for n in notes if n]
    if lesson:
        lines.append(f"Lesson from earlier failures: {lesson['text']}")
    return "\n".join(lines) or "(none)"


def format_earlier(failures: list[dict], limit_chars: int = 4000) -> str:
    """Failed attempts of earlier cycles and nights for a prompt: reason and diff, bounded."""
    if not failures:
        return "(none)"
    parts, left = [], limit_chars
    for f in failures:
        where = f"cycle {f.get('cycle', '?')}, approach {f.get('approach') or '?'}"
        diff = f"\n```diff\n{f['diff'][:1200].rstrip()}\n```" if f.get("diff") else ""
        block = f"- {where}: {f['reason'][:300]}{diff}"
        if len(block) > left:
            break
        parts.append(block)
        left -= len(block)
    return "\n".join(parts) or "(none)"


def format_attempts(attempts: list, detail: bool = False) -> str:
    """Earlier attempts for a prompt: approach, try, and the reason each failed."""
    if not attempts:
        return "(none yet)"
    limit = 1200 if detail else 400
    return "\n".join(
        f"- approach {a['approach']}, try {a['attempt']}: {a['reason'][:limit]}" for a in attempts
    )


def _invoke_with_retries(invoke, messages: list, kwargs: dict[str, Any] | None = None):
    """A model server that drops a connection or times out once does not end a night's run."""
    import httpx
    from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

    transient = (ConnectionError, TimeoutError, httpx.TransportError)
    call = retry(retry=retry_if_exception_type(transient), stop=stop_after_attempt(MODEL_ATTEMPTS),
                 wait=wait_exponential(multiplier=1, max=10), reraise=True)(invoke)
    return call(messages, **(kwargs or {}))
