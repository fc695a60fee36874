"""How well the loop fixes easy bugs with a given model, and where its attempts are lost.

    .venv/bin/python scripts/effectiveness.py --provider embedded [--bugs 20] [--seed 1]
    .venv/bin/python scripts/effectiveness.py --provider replay      # scripted, for the tests

Generates --bugs small targets, each a module of three functions with a points test apiece,
one function broken by a one-line bug; runs one cycle of the loop on each (`python -m
graph.run --cycles 1`) and prints: how many were fixed within the cycle, attempts per fix,
how the attempts ended (no edit found, the edit did not apply, identical to a failed patch,
refused unscored, still failing, a regression, worse code, broken), samples drawn, and model
seconds per attempt and per landed fix (from each night's own account). `--json FILE` keeps
the figures.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

RYX_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(RYX_ROOT))

from ryx.checkpoints import open_database  # noqa: E402
from ryx.memory import Memory  # noqa: E402

# name, argument names, correct body, one-line bug, a call and its right answer
FUNCTIONS = [
    ("add", "a, b", "return a + b", "return a - b", "add(2, 3)", 5),
    ("double", "n", "return n * 2", "return n * 3", "double(4)", 8),
    ("is_positive", "x", "return x > 0", "return x < 0", "is_positive(3)", True),
    ("shout", "s", "return s.upper()", "return s.lower()", "shout('hi')", "HI"),
    ("count", "xs", "return len(xs)", "return len(xs) + 1", "count([1, 2, 3])", 3),
    ("largest", "xs", "return max(xs)", "return min(xs)", "largest([3, 9, 4])", 9),
    ("is_even", "n", "return n % 2 == 0", "return n % 2 == 1", "is_even(4)", True),
    ("multiply", "a, b", "return a * b", "return a + b", "multiply(3, 4)", 12),
    ("reverse", "s", "return s[::-1]", "return s[::1]", "reverse('abc')", "cba"),
    ("square", "n", "return n * n", "return n * 2", "square(5)", 25),
    ("join_words", "words", "return ' '.join(words)", "return ''.join(words)", "join_words(['a', 'b'])", "a b"),
    ("distance", "a, b", "return abs(a - b)", "return a - b", "distance(2, 7)", 5),
    ("mean", "xs", "return sum(xs) / len(xs)", "return sum(xs) / 2", "mean([2, 4, 6])", 4.0),
    ("first", "xs", "return xs[0]", "return xs[1]", "first([7, 8, 9])", 7),
    ("last", "xs", "return xs[-1]", "return xs[0]", "last([7, 8, 9])", 9),
    ("increment", "n", "return n + 1", "return n - 1", "increment(9)", 10),
    ("half", "n", "return n / 2", "return n * 2", "half(10)", 5.0),
    ("cube", "n", "return n ** 3", "return n ** 2", "cube(2)", 8),
    ("negate", "n", "return -n", "return n", "negate(4)", -4),
    ("is_empty", "xs", "return len(xs) == 0", "return len(xs) == 1", "is_empty([])", True),
    ("smallest", "xs", "return min(xs)", "return max(xs)", "smallest([3, 9, 4])", 3),
    ("concat", "a, b", "return a + b", "return b + a", "concat('x', 'y')", "xy"),
]
ENDINGS = {
    "no sample passed the quick check": ("none of the",),
    "no edit found": ("could not be used as an edit",),
    "unchanged": ("change nothing", "changed nothing"),
    "edit did not apply": ("the edit did not apply", "could not be applied"),
    "identical to a failed patch": ("identical to a patch",),
    "refused unscored": ("rejected unscored",),
    "regression": ("passed before and fails now",),
    "worse code": ("adds lint findings", "deletes explanations"),
    "broken": ("could not run on it",),
    "still failing": ("no benchmark test gained", "still failed", "no test gained"),
}


@dataclass
class Result:
    bug: str
    fixed: bool
    attempts: int
    model_s: float
    endings: dict[str, int] = field(default_factory=dict)
    samples: int = 0
    sample_endings: dict[str, int] = field(default_factory=dict)


def make_target(root: Path, index: int, rng: random.Random, samples: int | None = None) -> tuple[Path, str]:
    """A git repo: mod.py with three functions (one broken) and a points test for each."""
    picked = rng.sample(FUNCTIONS, 3)
    broken = picked[index % 3]
    body = "".join(f"def {name}({args}):\n    {bug if (name, args) == broken[:2] else good}\n\n\n"
                   for name, args, good, bug, _, _ in picked)
    tests = "import pytest\n\nfrom mod import " + ", ".join(p[0] for p in picked) + "\n"
    tests += "".join(f"\n\n@pytest.mark.points(1, category=\"easy\")\ndef test_{name}():\n    assert {call} == {want!r}\n"
                     for name, _, _, _, call, want in picked)
    root.mkdir(parents=True)
    (root / "mod.py").write_text(body.rstrip() + "\n")
    (root / "benchmark").mkdir()
    (root / "benchmark" / "test_mod.py").write_text(tests)
    config = '[tool.pytest.ini_options]\nmarkers = ["points(n, category): p"]\n'
    if samples:
        config += f"\n[tool.ryx.models]\nsamples = {samples}\n"
    (root / "pyproject.toml").write_text(config)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"],
                 ["-c", "user.name=e", "-c", "user.email=e@e", "commit", "-qm", "bug"]):
        subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)
    return root, f"{broken[0]}: {broken[2]} -> {broken[3]}"


def scripted(path: Path, target: Path, wrong: int) -> Path:
    """Replies for --provider replay: `wrong` bad fixes, then the right one."""
    text = (target / "mod.py").read_text()
    name, args, good, bug = next((f[0], f[1], f[2], f[3]) for f in FUNCTIONS
                                 if f"def {f[0]}({f[1]}):\n    {f[3]}\n" in text)
    def block(line: str) -> str:
        return (f"mod.py\n```python\n<<<<<<< SEARCH\ndef {name}({args}):\n    {bug}\n=======\n"
                f"def {name}({args}):\n    {line}\n>>>>>>> REPLACE\n```\n")
    lines = [{"role": "coding", "times": 1, "content": block(f"return None  # try {k}")} for k in range(wrong)]
    lines += [{"role": "coding", "content": block(good)},
              {"role": "reasoning", "match": "VERDICT", "content": "It fixes the function.\nVERDICT: OK"}]
    lines += [{"role": r, "content": "Fix the function the test calls."} for r in ("reasoning", "intent", "supervisor")]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    return path


def run_one(workdir: Path, target: Path, provider: list[str]) -> tuple[str, float]:
    db = workdir / "db" / "ryx.sqlite"
    args = [sys.executable, "-m", "graph.run", "--target", str(target), "--db", str(db), "--offline",
            "--cycles", "1", *provider]
    env = {"RYX_HOME": str(workdir / "home"), "PATH": "/usr/bin:/bin", "OLLAMA_HOST": "http://127.0.0.1:9",
           "HOME": str(workdir / "home")}
    out = subprocess.run(args, cwd=RYX_ROOT, capture_output=True, text=True, env=env, timeout=3600)
    if out.returncode != 0:
        raise SystemExit(f"the loop failed on {target}:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    with open_database(db, exclusive=False) as database:
        night = next(iter(Memory(database.store, target).all("nights").values()))
    return out.stdout, float(night["seconds"]["model"])


def read_endings(stdout: str) -> tuple[Counter, Counter, int, int]:
    """(how attempts ended, how samples ended, attempts, samples) from the loop's own lines."""
    endings, sample_endings, attempts = Counter(), Counter(), 0
    for line in stdout.splitlines():
        batch = re.search(r"attempt \d/\d: \d+ samples?: (.*)", line)
        if batch:
            for count, what in re.findall(r"(\d+) ([a-z][a-z ]+?)(?:,|$)", batch.group(1)):
                sample_endings[what.strip()] += int(count)
            continue
        verdict = re.search(r"attempt \d/\d: (refused|failed|improved)", line)
        if not verdict:
            continue
        attempts += 1
        if verdict.group(1) == "improved":
            endings["improved"] += 1
            continue
        endings[next((name for name, keys in ENDINGS.items() if any(k in line for k in keys)), "other")] += 1
    return endings, sample_endings, attempts, sum(sample_endings.values()) or attempts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--provider", choices=("embedded", "ollama", "replay"), default="embedded")
    parser.add_argument("--bugs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--wrong", type=int, default=2, help="replay: bad fixes before the right one")
    parser.add_argument("--samples", type=int, help="samples per attempt ([models] samples; default: by model)")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    rng, results = random.Random(args.seed), []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ryx-effectiveness-") as tmp:
        for i in range(args.bugs):
            work = Path(tmp) / f"bug{i:02d}"
            target, bug = make_target(work / "target", i, rng, args.samples)
            provider = ["--provider", args.provider]
            if args.provider == "replay":
                provider += ["--replay", str(scripted(work / "r.jsonl", target, args.wrong))]
            stdout, model_s = run_one(work, target, provider)
            endings, sample_endings, attempts, samples = read_endings(stdout)
            result = Result(bug, endings["improved"] > 0, attempts, model_s, dict(endings), samples,
                            dict(sample_endings))
            results.append(result)
            print(f"  {i + 1:2d}/{args.bugs} {'fixed ' if result.fixed else 'missed'} {bug}  "
                  f"({attempts} attempt(s), {samples} sample(s), model {model_s:.0f} s)", flush=True)
    report(results, args, time.monotonic() - started)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=1))
    return 0


def report(results: list[Result], args: argparse.Namespace, elapsed: float) -> None:
    fixed = [r for r in results if r.fixed]
    attempts = sum(r.attempts for r in results)
    endings = sum((Counter(r.endings) for r in results), Counter())
    model_s = sum(r.model_s for r in results)
    print(f"effectiveness ({args.provider}, {len(results)} easy bugs, one cycle each, {elapsed:.0f} s):")
    print(f"  fixed within one cycle: {len(fixed)}/{len(results)} ({100 * len(fixed) / max(len(results), 1):.0f} %)")
    if fixed:
        print(f"  attempts per fix: {sum(r.attempts for r in fixed) / len(fixed):.1f}")
    print("  how attempts ended: " + ", ".join(f"{k} {v}" for k, v in endings.most_common()))
    samples = sum((Counter(r.sample_endings) for r in results), Counter())
    print(f"  samples drawn: {sum(r.samples for r in results)}"
          + (": " + ", ".join(f"{k} {v}" for k, v in samples.most_common()) if samples else ""))
    print(f"  model seconds per attempt: {model_s / max(attempts, 1):.1f}; per landed fix: "
          f"{model_s / max(len(fixed), 1):.1f} (all model time over the fixes; median of the fixed bugs' own: "
          f"{statistics.median(r.model_s for r in fixed) if fixed else 0:.0f})")


if __name__ == "__main__":
    sys.exit(main())
