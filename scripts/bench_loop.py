"""Measure, in one run: the loop's own overhead per cycle apart from benchmark runs, and the
start-up time of `python -m graph.run --help`. Goals: both under 1 s. Benchmark runs include the
plain-pytest confirmation of a gain; both run in the sandbox.

    .venv/bin/python scripts/bench_loop.py [--cycles 3]

The loop runs in this process with the replay provider on fresh temporary targets (a real
git repo, real SQLite, real pytest); every call of the benchmark runner is timed and taken
out of the cycle's wall time, so what remains is the graph, git, checkpoints and models.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from loop_helpers import make_target, reasoning_lines, replay_file, sr  # noqa: E402

import benchmark.runner  # noqa: E402
import nodes.scoring  # noqa: E402
import nodes.verify  # noqa: E402
from graph.run import build_parser  # noqa: E402
from graph.session import Session  # noqa: E402

FIX = sr("calc.py", "def add(a, b):\n    return a - b", "def add(a, b):\n    return a + b")
BENCH_SECONDS: list[float] = []


def _timed(fn):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            BENCH_SECONDS.append(time.perf_counter() - start)
    return wrapper


def one_cycle(workdir: Path) -> tuple[float, float]:
    """(wall seconds, benchmark seconds) of one improvement cycle that lands a fix."""
    target = make_target(workdir / "proj")
    replay = replay_file(workdir / "r.jsonl", [{"role": "coding", "content": FIX}, *reasoning_lines()])
    args = build_parser().parse_args(["--target", str(target), "--replay", str(replay), "--offline",
                                      "--db", str(workdir / "db.sqlite")])
    args.provider = "replay"
    BENCH_SECONDS.clear()
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()) as out:
        code = Session(args).run()
    wall = time.perf_counter() - start
    if code != 0 or "landed" not in out.getvalue():
        raise SystemExit(f"the cycle did not land a fix (exit {code}):\n{out.getvalue()}")
    return wall, sum(BENCH_SECONDS)


def startup(command: list[str], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=3)
    cycles = parser.parse_args().cycles
    timed = _timed(benchmark.runner.run_benchmark)
    nodes.scoring.run_benchmark = nodes.verify.run_benchmark = timed
    nodes.verify.confirm_plain = _timed(nodes.verify.confirm_plain)  # plain-pytest confirmation
    results = []
    for _ in range(cycles):
        with tempfile.TemporaryDirectory() as tmp:
            results.append(one_cycle(Path(tmp)))
    overhead = [wall - bench for wall, bench in results]
    help_s = startup([sys.executable, "-m", "graph.run", "--help"])
    bare_s = startup([sys.executable, "-c", "pass"])
    print(f"cycles measured: {cycles} (each: baseline, weakness, research, patch, verify, confirm, land)")
    print(f"cycle wall time, median:          {statistics.median(w for w, _ in results):.2f} s")
    print(f"  of which benchmark runs:        {statistics.median(b for _, b in results):.2f} s")
    print(f"loop overhead per cycle, median:  {statistics.median(overhead):.2f} s  (goal < 1 s)")
    print(f"`python -m graph.run --help`:     {help_s:.3f} s  (goal < 1 s; bare interpreter "
          f"{bare_s:.3f} s, ratio {help_s / bare_s:.1f}x)")


if __name__ == "__main__":
    main()
