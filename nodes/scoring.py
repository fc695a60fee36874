"""Scoring the worktree: run the benchmark, or reuse the scorecard of an identical tree."""

from __future__ import annotations

from benchmark.integrity import benchmark_files_hash
from benchmark.runner import run_benchmark
from benchmark.scorecard import Scorecard
from ryx.benchspec import BenchSpec, env_key
from ryx.gitops import IMPROVE_BRANCH, Workspace
from ryx.memory import Memory


def score(ws: Workspace, spec: BenchSpec, mem: Memory, cycle: int | None) -> tuple[dict, bool]:
    """(scorecard JSON, whether it came from the cache) for the worktree as it is now."""
    tree = ws.staged_tree()
    bench_hash = benchmark_files_hash(ws.path, spec)
    env = env_key(spec)
    cached = mem.cached_scorecard(tree, bench_hash, env)
    if cached is not None:
        return cached, True
    card = run_benchmark(ws.path, spec, config_from_head=True, label=label(ws)).to_json()
    mem.save_scorecard(card, env, cycle)
    return card, False


def label(ws: Workspace) -> str:
    """How messages name the tree the loop scores."""
    return f"{IMPROVE_BRANCH} of {ws.root}"


def failure_output(ws: Workspace, spec: BenchSpec, test_id: str) -> str:
    """The output of one test run alone, to show the model what fails."""
    card: Scorecard = run_benchmark(ws.path, spec, only=[test_id], config_from_head=True, label=label(ws))
    return getattr(card, "output", "") or ""
