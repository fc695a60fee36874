"""What verifying costs now that it fails fast, in full-benchmark units, measured in one run.

    .venv/bin/python scripts/bench_verify.py [--skip-ryx]

1. A generated target of 24 points tests that take 0.5 s each, whose weakness gets eight wrong
   fixes and then the right one (replayed), in one real cycle (`python -m graph.run`): the
   cycle's benchmark seconds (the night's own account) / one full run. Goal: <= 4.
2. Ryx's own suite (a clone of HEAD): one full run, then a rejected attempt at one of its
   failing tests through verify's own quick check. Goal: seconds per rejected attempt /
   one full run <= 0.1.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RYX_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(RYX_ROOT))

from benchmark.runner import run_benchmark  # noqa: E402
from benchmark.scorecard import Scorecard  # noqa: E402
from nodes.verify.quick import near_tests, quick_check  # noqa: E402
from ryx.checkpoints import open_database  # noqa: E402
from ryx.config import load_config  # noqa: E402
from ryx.gitops import Workspace  # noqa: E402
from ryx.memory import Memory  # noqa: E402

TEST = '''

@pytest.mark.points(1, category="c{cat}")
def test_{i:02d}():
    time.sleep(0.5)
    assert funcs.f{i}(1) == {want}
'''


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True).stdout


def generated(root: Path) -> Path:
    root.mkdir(parents=True)
    funcs = "".join(f"def f{i}(n):\n    return n + {i}\n\n\n" for i in range(1, 24))
    (root / "funcs.py").write_text("def f0(n):\n    return n - 1\n\n\n" + funcs)
    tests = "import time\n\nimport pytest\n\nimport funcs\n" + "".join(
        TEST.format(i=i, cat=i % 3, want=1 + (1 if i == 0 else i)) for i in range(24))
    (root / "benchmark").mkdir()
    (root / "benchmark" / "test_funcs.py").write_text(tests)
    (root / "pyproject.toml").write_text('[tool.pytest.ini_options]\nmarkers = ["points(n, category): p"]\n')
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "t"]):
        _git(root, *args)
    return root


def replies(path: Path) -> Path:
    def fix(body: str) -> str:
        return f"funcs.py\n```python\n<<<<<<< SEARCH\ndef f0(n):\n    return n - 1\n=======\ndef f0(n):\n{body}\n>>>>>>> REPLACE\n```\n"
    wrong = [{"role": "coding", "times": 1, "content": fix(f"    return n * {k + 3}")} for k in range(8)]
    right = {"role": "coding", "content": fix("    return n + 1")}
    review = {"role": "reasoning", "match": "VERDICT", "content": "It fixes f0.\nVERDICT: OK"}
    rest = [{"role": r, "content": "Fix f0."} for r in ("reasoning", "intent", "supervisor")]
    path.write_text("\n".join(json.dumps(x) for x in [*wrong, right, review, *rest]) + "\n")
    return path


def cycle_cost(tmp: Path) -> tuple[float, float, str]:
    """(the cycle's benchmark seconds, one full run's seconds, its summary line)."""
    target = generated(tmp / "gen")
    full = _timed_full(target)
    db = tmp / "db" / "ryx.sqlite"
    args = ["--target", str(target), "--replay", str(replies(tmp / "r.jsonl")), "--db", str(db), "--offline"]
    out = subprocess.run([sys.executable, "-m", "graph.run", *args], cwd=RYX_ROOT, capture_output=True, text=True,
                         env={"RYX_HOME": str(tmp / "home"), "PATH": "/usr/bin:/bin", "OLLAMA_HOST": "http://127.0.0.1:9"})
    if out.returncode != 0:
        raise SystemExit(f"the cycle failed:\n{out.stdout}\n{out.stderr}")
    with open_database(db, exclusive=False) as database:
        night = next(iter(Memory(database.store, target).all("nights").values()))
    return night["seconds"]["benchmark"], full, out.stdout.strip().splitlines()[-1]


def _timed_full(root: Path) -> float:
    spec = load_config(root).benchmark
    run_benchmark(root, spec)  # warm
    started = time.perf_counter()
    run_benchmark(root, spec)
    return time.perf_counter() - started


def ryx_rejected_attempt(tmp: Path) -> tuple[float, float, str]:
    """(seconds of one rejected attempt's checks, one full run's seconds, the test tried)."""
    clone = tmp / "ryx"
    subprocess.run(["git", "clone", "-q", str(RYX_ROOT), str(clone)], check=True)
    spec = load_config(clone).benchmark
    started = time.perf_counter()
    before = run_benchmark(clone, spec)
    full = time.perf_counter() - started
    failing = sorted(t for t, r in before.tests.items() if r.outcome != "passed")
    if not failing:
        raise SystemExit("Ryx's own suite has no failing test to try a wrong fix on.")
    ws = Workspace(clone)
    ws.prepare()
    try:
        edited = ws.path / "skills" / "heal" / "clip.py"
        edited.write_text(edited.read_text() + "\n# a change that fixes nothing\n")
        paths = ws.snapshot().paths
        started = time.perf_counter()
        quick = quick_check(ws, spec, Scorecard.from_json(before.to_json()),
                            near_tests(before, ws.path, paths, failing[0]))
        attempt = time.perf_counter() - started
    finally:
        ws.remove()
    if quick.reason is None:
        raise SystemExit(f"the wrong change was not rejected on {failing[0]}")
    return attempt, full, failing[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-ryx", action="store_true", help="only the generated target")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ryx-bench-verify-") as tmp:
        cycle, full, summary = cycle_cost(Path(tmp))
        print(f"generated target, 24 tests of 0.5 s, 8 wrong fixes then the right one: {summary}")
        print(f"  benchmark seconds of the cycle {cycle:.1f} s / one full run {full:.1f} s = "
              f"{cycle / full:.2f} full runs (goal <= 4)")
        if not args.skip_ryx:
            attempt, ryx_full, test = ryx_rejected_attempt(Path(tmp))
            print(f"Ryx's own suite: one full run {ryx_full:.1f} s; a rejected attempt at {test}: {attempt:.2f} s "
                  f"= {attempt / ryx_full:.3f} of a full run (goal <= 0.1)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
