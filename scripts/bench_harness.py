"""How much time the points harness adds over plain pytest on the same tests.

    python scripts/bench_harness.py                 # a generated target (git repo, 60 tests)
    python scripts/bench_harness.py --target DIR    # a real target, with its ryx.toml

Runs plain `python -m pytest PATHS -p no:cacheprovider -q` and `run_benchmark` (tree hash,
benchmark hash, contained subprocess, report) alternately, `--repeat` times each, in the same
environment, and prints the best time of each and their ratio.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmark.runner import run_benchmark, scrubbed_env  # noqa: E402
from benchmark.spec import BenchSpec  # noqa: E402

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
    (root / "bench").mkdir()
    for i, category in enumerate(CATEGORIES):
        text = TEST_FILE.format(points=i % 3 + 1, category=category)
        (root / "bench" / f"test_{category}.py").write_text(text)
    for args in (["init", "-q"], ["config", "user.name", "bench"],
                 ["config", "user.email", "bench@localhost"], ["add", "-A"],
                 ["commit", "-qm", "benchmark target"]):
        subprocess.run(["git", "-C", str(root), *args], check=True)
    return BenchSpec(paths=("bench",))


def time_plain(root: Path, spec: BenchSpec) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pytest", *spec.paths, "-p", "no:cacheprovider", "-q"],
                   cwd=root, env=scrubbed_env(root), capture_output=True, check=False)
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=Path, help="a real target (default: a generated one)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ryx-bench-harness-") as tmp:
        if args.target:
            from ryx.config import load_config

            root, spec = args.target.resolve(), load_config(args.target).benchmark
        else:
            root, spec = Path(tmp), make_target(Path(tmp))
        card = run_benchmark(root, spec)
        plain, harness = measure(root, spec, args.repeat)
    print(f"target: {root if args.target else 'generated'} ({len(card.tests)} tests, "
          f"{card.total}/{card.max_points} points)")
    print(f"plain pytest: {plain:.3f}s  harness: {harness:.3f}s  "
          f"ratio: {harness / plain:.2f}x  (+{harness - plain:.3f}s; best of {args.repeat})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
