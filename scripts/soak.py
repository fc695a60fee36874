"""Soak: hundreds of replay cycles with random SIGKILLs and resumes, and what is left after them.

    .venv/bin/python scripts/soak.py [--bugs 40] [--cycles 200] [--kill-every 3] [--seed 7]

A generated target holds --bugs one-line bugs, each with a points test; scripted replies fix
each one. The loop (`python -m graph.run --resume --cycles K`) runs again and again on it, and
every --kill-every-th run is SIGKILLed (process group) at a random moment; the next run resumes
the checkpoint. Once the bugs are fixed the cycles go on idle until --cycles have run. Then it
checks and prints: every bug fixed exactly once, no leftover worktree, lock, process or private
copy, the checkpoint database's size (goal < 50 MB), and memory: the loops' peak RSS in early
runs against late ones, and, in one last long run of --long-run cycles, RSS at each cycle's
start, the first quarter against the last (flat: ratios near 1). Exit code 1 when a check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

RYX_ROOT = Path(__file__).resolve().parents[1]
DB_GOAL_MB = 50
CYCLES_A_RUN = 8


def make_target(root: Path, bugs: int) -> Path:
    """`funcs.py` with `f0..fN` each returning n - 1 where n + 1 is wanted, one test each."""
    root.mkdir(parents=True)
    (root / "funcs.py").write_text("".join(f"def f{i}(n):\n    return n - {i + 1}\n\n\n" for i in range(bugs)))
    tests = ["import pytest\n\nimport funcs\n"]
    tests += [f"\n\n@pytest.mark.points(1, category=\"c{i % 4}\")\ndef test_f{i}():\n"
              f"    assert funcs.f{i}(10) == {10 + i + 1}\n" for i in range(bugs)]
    (root / "benchmark").mkdir()
    (root / "benchmark" / "test_funcs.py").write_text("".join(tests))
    (root / "pyproject.toml").write_text('[tool.pytest.ini_options]\nmarkers = ["points(n, category): points"]\n')
    for args in (["init", "-q", "-b", "main"], ["add", "-A"],
                 ["-c", "user.name=soak", "-c", "user.email=soak@localhost", "commit", "-qm", "bugs"]):
        subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)
    return root


def write_replay(path: Path, bugs: int) -> Path:
    lines = [{"role": "coding", "match": f"::test_f{i}`",
              "content": f"funcs.py\n```python\n<<<<<<< SEARCH\ndef f{i}(n):\n    return n - {i + 1}\n=======\n"
                         f"def f{i}(n):\n    return n + {i + 1}\n>>>>>>> REPLACE\n```\n"} for i in range(bugs)]
    lines += [{"role": r, "content": "Fix the function the test names."} for r in ("reasoning", "intent", "supervisor")]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    return path


@dataclass
class Soak:
    target: Path
    replay: Path
    db: Path
    home: Path
    rng: random.Random
    runs: int = 0
    kills: int = 0
    cycles: int = 0
    peak_rss_kb: list[int] = field(default_factory=list)

    def long_run(self, cycles: int) -> list[int]:
        """One run of `cycles` cycles without a kill: its RSS as each cycle starts."""
        args = [sys.executable, "-m", "graph.run", "--target", str(self.target), "--replay", str(self.replay),
                "--db", str(self.db), "--offline", "--resume", "--cycles", str(cycles)]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=self.env(),
                                cwd=RYX_ROOT)
        samples = []
        for line in proc.stdout:
            if re.match(r"cycle \d+", line):
                samples.append(_rss_kb(proc.pid))
                self.cycles += 1
        proc.wait()
        self.runs += 1
        return [s for s in samples if s]

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PYTEST_"))}
        env.update(RYX_HOME=str(self.home), PYTHONUNBUFFERED="1", OLLAMA_HOST="http://127.0.0.1:9")
        return env

    def one_run(self, kill: bool) -> None:
        args = [sys.executable, "-m", "graph.run", "--target", str(self.target), "--replay", str(self.replay),
                "--db", str(self.db), "--offline", "--resume", "--cycles", str(CYCLES_A_RUN)]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=self.env(),
                                cwd=RYX_ROOT, start_new_session=True)
        deadline = time.monotonic() + self.rng.uniform(0.3, 3.0) if kill else None
        peak, out = 0, []
        while proc.poll() is None:
            peak = max(peak, _rss_kb(proc.pid))
            if deadline and time.monotonic() > deadline:
                os.killpg(proc.pid, signal.SIGKILL)
                self.kills += 1
                break
            time.sleep(0.05)
        out.append(proc.communicate()[0] or "")
        self.runs += 1
        self.cycles += len(re.findall(r"^cycle \d+", out[0], re.M))
        if peak:
            self.peak_rss_kb.append(peak)
        if not kill and proc.returncode != 0:
            raise SystemExit(f"run {self.runs} failed (exit {proc.returncode}):\n{out[0][-3000:]}")


def _rss_kb(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(match.group(1)) if match else 0


def checks(soak: Soak, bugs: int) -> list[tuple[str, bool]]:
    git = ["git", "-C", str(soak.target)]
    log = subprocess.run([*git, "log", "--format=%s", "main..ryx/improve"], capture_output=True, text=True).stdout
    fixed = re.findall(r"::test_f(\d+) passes", log)
    worktrees = subprocess.run([*git, "worktree", "list", "--porcelain"], capture_output=True, text=True).stdout
    locks = list((soak.target / ".git").rglob("*.lock"))
    stray = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _mentions(p, str(soak.target))]
    copies = [p for p in Path(tempfile.gettempdir()).glob("ryx-run-*") if not _alive_pid(p.name.split("-")[2])]
    size_mb = sum(p.stat().st_size for p in soak.db.parent.glob(soak.db.name + "*")) / 1e6
    return [
        (f"every bug fixed exactly once ({len(fixed)} landings for {bugs} bugs)",
         sorted(map(int, fixed)) == list(range(bugs))),
        (f"no leftover worktree ({worktrees.count('worktree ')} listed)", worktrees.count("worktree ") == 1
         and not (soak.target / ".git" / "ryx" / "worktree").exists()),
        (f"no leftover lock ({[str(p) for p in locks if p.name != 'run.lock']})",
         all(p.name == "run.lock" for p in locks)),
        (f"no leftover process ({len(stray)})", not stray),
        (f"no leftover private copy ({len(copies)})", not copies),
        (f"checkpoint database {size_mb:.1f} MB (goal < {DB_GOAL_MB} MB)", size_mb < DB_GOAL_MB),
    ]


def _mentions(proc: Path, text: str) -> bool:
    try:
        return text in (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False


def _alive_pid(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ValueError, OSError):
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bugs", type=int, default=40)
    parser.add_argument("--cycles", type=int, default=200, help="cycles to run in all (at least)")
    parser.add_argument("--kill-every", type=int, default=3, help="SIGKILL every Nth run")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--long-run", type=int, default=60, help="cycles of the last run, RSS sampled each")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ryx-soak-") as tmp:
        root = Path(tmp)
        soak = Soak(make_target(root / "target", args.bugs), write_replay(root / "replay.jsonl", args.bugs),
                    root / "db" / "ryx.sqlite", root / "home", random.Random(args.seed))
        started = time.monotonic()
        while soak.cycles < args.cycles:
            soak.one_run(kill=(soak.runs + 1) % args.kill_every == 0)
        soak.one_run(kill=False)  # finishes whatever the last kill interrupted
        samples = soak.long_run(args.long_run)
        results = checks(soak, args.bugs)
        elapsed = time.monotonic() - started
    runs_ratio, early, late = _early_late(soak.peak_rss_kb, 3)
    long_ratio, first, last = _early_late(samples, 4)
    print(f"soak: {soak.cycles} cycles in {soak.runs} runs ({soak.kills} SIGKILLed), {elapsed:.0f} s")
    for text, ok in results:
        print(f"  {'ok  ' if ok else 'FAIL'} {text}")
    print(f"  peak RSS of a run: early runs {early:.0f} MB, late runs {late:.0f} MB, late/early "
          f"{runs_ratio:.2f} (flat: near 1)")
    print(f"  RSS in one run of {len(samples)} cycles: first quarter {first:.0f} MB, last quarter {last:.0f} MB, "
          f"last/first {long_ratio:.2f} (flat: near 1)")
    return 0 if all(ok for _, ok in results) and max(runs_ratio, long_ratio) < 1.5 else 1


def _early_late(values: list[int], parts: int) -> tuple[float, float, float]:
    """(late/early, early MB, late MB): the means of the first and the last 1/parts of values."""
    n = max(len(values) // parts, 1)
    early, late = sum(values[:n]) / n / 1024, sum(values[-n:]) / n / 1024
    return late / early, early, late


if __name__ == "__main__":
    sys.exit(main())
