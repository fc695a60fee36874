"""What the sandboxed points harness costs over plain pytest, and what the scorecard cache saves.

    python scripts/bench_harness.py                 # tabulate's own suite and Ryx's own suite
    python scripts/bench_harness.py --target DIR    # a real target, with its ryx.toml
    python scripts/bench_harness.py --generated     # a generated target (git repo, 60 tests)

For each target, in one run and alternately (best of --repeat each): plain
`python -m pytest PATHS -p no:cacheprovider -q`; `run_benchmark` as the loop runs it (tree
hash, private copy, bubblewrap, trusted harness, report stream, canary, hashes before and
after); and `run_benchmark` with the sandbox turned off, to show what bubblewrap itself adds.
Both load installed pytest plugins alike, as the target's spec says. Every target is cloned
into a temporary folder first, so a real repository's branches and worktrees (perhaps in use
by a running loop) are never touched; uncommitted changes are not part of the clone.
Then, on the first target, a full score through `nodes.scoring.score` against a re-score of the
same tree served from the cache. Goal: sandboxed harness / plain pytest <= 1.25x.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

RYX_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(RYX_ROOT))

from langgraph.store.memory import InMemoryStore  # noqa: E402

from benchmark.runner import run_benchmark  # noqa: E402
from nodes.scoring import score  # noqa: E402
from ryx.benchspec import BenchSpec  # noqa: E402
from ryx.config import load_config  # noqa: E402
from ryx.gitops import Workspace  # noqa: E402
from ryx.memory import Memory  # noqa: E402
from ryx.sandbox import scrubbed_env  # noqa: E402

GOAL = 1.25
TEST_FILE = """
import pytest

@pytest.mark.points({points}, category="{category}")
@pytest.mark.parametrize("n", range(10))
def test_sum(n):
    assert sum(range(n)) == n * (n - 1) // 2
"""
CATEGORIES = ("edit_success", "file_discovery", "task_completion", "self_healing", "speed", "x")
THIRDPARTY = RYX_ROOT / "tests" / "data" / "thirdparty" / "tabulate-0.9.0"


@dataclass(frozen=True)
class Target:
    name: str
    root: Path
    spec: BenchSpec


@dataclass(frozen=True)
class Timing:
    tests: int
    plain: float
    sandboxed: float
    unsandboxed: float


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def _commit_all(root: Path, message: str) -> None:
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-q", "-m", message)


def generated(into: Path) -> Target:
    """A git repository with 6 benchmark files of 10 tests each."""
    (into / "bench").mkdir(parents=True)
    for i, category in enumerate(CATEGORIES):
        (into / "bench" / f"test_{category}.py").write_text(TEST_FILE.format(points=i % 3 + 1, category=category))
    _commit_all(into, "benchmark target")
    return Target("generated (60 tests)", into, BenchSpec(paths=("bench",)))


def tabulate(into: Path) -> Target:
    """tabulate 0.9.0's own test suite (vendored sdist) as a git repo scored one point per test."""
    with tarfile.open(THIRDPARTY / "tabulate-0.9.0.tar.gz") as archive:
        archive.extractall(into, filter="data")
    root = into / "tabulate-0.9.0"
    (root / "ryx.toml").write_text("[benchmark]\npaths = []\n")
    _commit_all(root, "tabulate 0.9.0")
    return Target("tabulate 0.9.0 (its own suite)", root, load_config(root).benchmark)


def cloned(source: Path, into: Path, name: str) -> Target:
    """A local clone of a repository's HEAD, with an identity for the loop's commits."""
    subprocess.run(["git", "clone", "-q", str(source), str(into)], check=True)
    for key, value in (("user.name", "bench"), ("user.email", "bench@localhost")):
        _git(into, "config", key, value)
    return Target(name, into, load_config(into).benchmark)


def time_plain(target: Target) -> float:
    """Plain pytest with the harness's plugin setting, so both load the same plugins."""
    env = scrubbed_env()
    if not target.spec.autoload_plugins:
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    python = target.spec.python or sys.executable
    started = time.perf_counter()
    subprocess.run([python, "-m", "pytest", *target.spec.paths, "-p", "no:cacheprovider", "-q"],
                   cwd=target.root, env=env, capture_output=True, check=False)
    return time.perf_counter() - started


def time_harness(target: Target, sandbox: bool) -> float:
    started = time.perf_counter()
    run_benchmark(target.root, replace(target.spec, sandbox=sandbox), config_from_head=True)
    return time.perf_counter() - started


def measure(target: Target, repeat: int) -> Timing:
    card = run_benchmark(target.root, target.spec)  # warm: interpreter facts, bwrap probe, disk
    plain, boxed, bare = [], [], []
    for _ in range(repeat):
        plain.append(time_plain(target))
        boxed.append(time_harness(target, sandbox=True))
        bare.append(time_harness(target, sandbox=False))
    return Timing(len(card.tests), min(plain), min(boxed), min(bare))


def measure_cache(root: Path, spec: BenchSpec, repeat: int) -> tuple[float, float]:
    """Best full score (fresh memory each time) and best cached re-score of the same tree."""
    ws = Workspace(root)
    ws.prepare()
    full, cached = [], []
    try:
        for _ in range(repeat):
            mem = Memory(InMemoryStore(), root)
            full.append(_timed_score(ws, spec, mem, expect_cached=False))
            cached.append(_timed_score(ws, spec, mem, expect_cached=True))
    finally:
        ws.remove()
    return min(full), min(cached)


def _timed_score(ws: Workspace, spec: BenchSpec, mem: Memory, *, expect_cached: bool) -> float:
    started = time.perf_counter()
    _, was_cached = score(ws, spec, mem, cycle=None)
    elapsed = time.perf_counter() - started
    if was_cached != expect_cached:
        raise SystemExit(f"score() {'missed' if expect_cached else 'hit'} the cache on {ws.path}; "
                         "the cache key (tree, benchmark hash, environment) is not stable.")
    return elapsed


def _targets(args: argparse.Namespace, tmp: Path) -> list[Target]:
    if args.generated:
        return [generated(tmp / "generated")]
    if args.target:
        return [cloned(args.target.resolve(), tmp / "target", str(args.target))]
    return [tabulate(tmp / "thirdparty"), cloned(RYX_ROOT, tmp / "ryx", "Ryx (benchmark/suite)")]


def _report(target: Target, t: Timing, repeat: int) -> str:
    return (f"{target.name}: {t.tests} tests, best of {repeat}\n"
            f"  plain pytest {t.plain:.3f}s | sandboxed harness {t.sandboxed:.3f}s "
            f"({t.sandboxed / t.plain:.2f}x, +{t.sandboxed - t.plain:.3f}s) | harness without "
            f"the sandbox {t.unsandboxed:.3f}s ({t.unsandboxed / t.plain:.2f}x)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=Path, help="a real target instead of tabulate and Ryx")
    parser.add_argument("--generated", action="store_true", help="a generated 60-test target instead")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (default 3)")
    args = parser.parse_args()
    worst = 0.0
    with tempfile.TemporaryDirectory(prefix="ryx-bench-harness-") as tmp:
        targets = _targets(args, Path(tmp))
        for target in targets:
            timing = measure(target, args.repeat)
            worst = max(worst, timing.sandboxed / timing.plain)
            print(_report(target, timing, args.repeat), flush=True)
        full, cached = measure_cache(targets[0].root, targets[0].spec, args.repeat)
    print(f"sandboxed harness / plain pytest: worst {worst:.2f}x (goal <= {GOAL}x)")
    print(f"{targets[0].name}: full score {full:.3f}s, cached re-score {cached:.3f}s "
          f"= {cached / full:.2f}x (goal <= 0.05x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
