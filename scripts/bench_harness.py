"""How much time the points harness adds over plain pytest, and what the scorecard cache saves.

    python scripts/bench_harness.py                 # a generated target (git repo, 60 tests)
    python scripts/bench_harness.py --target DIR    # a real target, with its ryx.toml

Runs plain `python -m pytest PATHS -p no:cacheprovider -q` and `run_benchmark` (tree hash,
benchmark hash, contained subprocess, report) alternately, `--repeat` times each, in the same
environment (installed pytest plugins loaded or not alike, as the spec says), and prints the
best time of each and their ratio.

Then scores the loop's worktree through `ryx.scoring.score` as a cycle does: a full score
(fresh memory) and a re-score of the same tree (served from the cache), best of `--repeat`.
A real target is cloned into a temporary directory first, so its own ryx/improve branch and
worktree (perhaps in use by a running loop) are never touched; uncommitted changes are not part of the clone.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from langgraph.store.memory import InMemoryStore  # noqa: E402

from benchmark.runner import run_benchmark, scrubbed_env  # noqa: E402
from benchmark.spec import BenchSpec  # noqa: E402
from ryx.gitops import Workspace  # noqa: E402
from ryx.memory import Memory  # noqa: E402
from ryx.scoring import score  # noqa: E402

TEST_FILE = """
import pytest

@pytest.mark.points({points}, category="{category}")
@pytest.mark.parametrize("n", range(10))
def test_sum(n):
    assert sum(range(n)) == n * (n - 1) // 2
"""
CATEGORIES = ("edit_success", "file_discovery", "task_completion", "self_healing", "speed", "x")


def make_target(root: Path) -> BenchSpec:
    """A git repository with 6 benchmark files of 10 tests each."""
    (root / "bench").mkdir(parents=True)
    for i, category in enumerate(CATEGORIES):
        text = TEST_FILE.format(points=i % 3 + 1, category=category)
        (root / "bench" / f"test_{category}.py").write_text(text)
    for args in (["init", "-q"], ["config", "user.name", "bench"],
                 ["config", "user.email", "bench@localhost"], ["add", "-A"],
                 ["commit", "-qm", "benchmark target"]):
        subprocess.run(["git", "-C", str(root), *args], check=True)
    return BenchSpec(paths=("bench",))


def time_plain(root: Path, spec: BenchSpec) -> float:
    """Plain pytest with the harness's plugin setting, so both load the same plugins."""
    env = scrubbed_env(root)
    if not spec.autoload_plugins:
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pytest", *spec.paths, "-p", "no:cacheprovider", "-q"],
                   cwd=root, env=env, capture_output=True, check=False)
    return time.perf_counter() - started


def time_harness(root: Path, spec: BenchSpec) -> float:
    started = time.perf_counter()
    run_benchmark(root, spec)
    return time.perf_counter() - started


def measure(root: Path, spec: BenchSpec, repeat: int) -> tuple[float, float]:
    plain, harness = [], []
    for _ in range(repeat):
        plain.append(time_plain(root, spec))
        harness.append(time_harness(root, spec))
    return min(plain), min(harness)


def measure_cache(root: Path, spec: BenchSpec, repeat: int) -> tuple[float, float]:
    """Best full score (fresh memory each time) and best cached re-score of the same tree."""
    ws = Workspace(root)
    ws.prepare()
    full, cached = [], []
    for _ in range(repeat):
        mem = Memory(InMemoryStore(), root)
        full.append(_timed_score(ws, spec, mem, expect_cached=False))
        cached.append(_timed_score(ws, spec, mem, expect_cached=True))
    return min(full), min(cached)


def _timed_score(ws: Workspace, spec: BenchSpec, mem: Memory, *, expect_cached: bool) -> float:
    started = time.perf_counter()
    _, was_cached = score(ws, spec, mem, cycle=None)
    elapsed = time.perf_counter() - started
    if was_cached != expect_cached:
        raise SystemExit(f"score() {'missed' if expect_cached else 'hit'} the cache on {ws.path}; "
                         "the cache key (tree, benchmark hash, environment) is not stable.")
    return elapsed


def clone(source: Path, into: Path) -> Path:
    """A local clone of the target's HEAD, with an identity for the loop's commits."""
    subprocess.run(["git", "clone", "-q", str(source), str(into)], check=True)
    for key, value in (("user.name", "bench"), ("user.email", "bench@localhost")):
        subprocess.run(["git", "-C", str(into), "config", key, value], check=True)
    return into


THIRDPARTY = Path(__file__).resolve().parent.parent / "tests" / "data" / "thirdparty" / "tabulate-0.9.0"


def unpack_thirdparty(into: Path) -> Path:
    """tabulate 0.9.0's own test suite (vendored sdist) as a git repo scored one point per test."""
    import tarfile

    with tarfile.open(THIRDPARTY / "tabulate-0.9.0.tar.gz") as archive:
        archive.extractall(into, filter="data")
    root = into / "tabulate-0.9.0"
    (root / "ryx.toml").write_text("[benchmark]\npaths = []\n")
    for args in (["init", "-q"], ["add", "-A"], ["-c", "user.name=bench", "-c", "user.email=bench@localhost",
                                                 "commit", "-q", "-m", "tabulate 0.9.0"]):
        subprocess.run(["git", "-C", str(root), *args], check=True)
    return root


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=Path, help="a real target (default: tabulate's own test suite)")
    parser.add_argument("--generated", action="store_true", help="a generated 60-test target instead")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ryx-bench-harness-") as tmp:
        if not args.target and not args.generated:
            args.target = unpack_thirdparty(Path(tmp) / "thirdparty")
        if args.target:
            from ryx.config import load_config

            root, spec = args.target.resolve(), load_config(args.target).benchmark
            scored = clone(root, Path(tmp) / "clone")
        else:
            root, spec = Path(tmp) / "target", make_target(Path(tmp) / "target")
            scored = root
        card = run_benchmark(root, spec)
        plain, harness = measure(root, spec, args.repeat)
        full, cached = measure_cache(scored, spec, args.repeat)
    print(f"target: {root if args.target else 'generated'} ({len(card.tests)} tests, "
          f"{card.total}/{card.max_points} points)")
    print(f"plain pytest: {plain:.3f}s  harness: {harness:.3f}s  "
          f"ratio: {harness / plain:.2f}x  (+{harness - plain:.3f}s; best of {args.repeat})")
    print(f"full score: {full:.3f}s  cached re-score: {cached:.3f}s  (ryx.scoring.score, best of {args.repeat})")
    print(f"cached re-score / full score = {cached / full:.2f}x (goal <= 0.05x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
