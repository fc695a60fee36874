"""The loop end to end: real git, real SQLite, real pytest subprocesses, scripted replies."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from loop_helpers import (
    BENCH,
    CALC,
    FIX,
    PYPROJECT,
    cli_env,
    git,
    improve_args,
    make_target,
    reasoning_lines,
    replay_file,
    run_cli,
    sr,
    user_view,
)


def test_scripted_fix_lands_one_commit_and_leaves_the_user_untouched(tmp_path):
    target = make_target(tmp_path / "proj")
    (target / "notes.txt").write_text("uncommitted work\n")
    (target / "calc.py").write_text(CALC + "\n# local edit\n")
    git(target, "add", "calc.py")
    before = user_view(target)
    replay = replay_file(tmp_path / "r.jsonl", [{"role": "coding", "content": FIX}, *reasoning_lines()])

    result = run_cli(improve_args(target, replay, tmp_path / "db.sqlite"), tmp_path / "home")

    assert result.returncode == 0, result.stderr + result.stdout
    assert "2 -> 4 points" in result.stdout
    assert git(target, "rev-list", "--count", "main..ryx/improve").strip() == "1"
    message = git(target, "log", "-1", "--format=%B", "ryx/improve")
    assert "2 -> 4 points" in message
    assert "return a + b" in git(target, "show", "ryx/improve:calc.py")
    assert user_view(target) == before


def test_fix_that_breaks_a_passing_test_is_rejected(tmp_path):
    target = make_target(tmp_path / "proj")
    breaking = sr("calc.py", "def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a * b",
                  "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a + b")
    replay = replay_file(tmp_path / "r.jsonl", [{"role": "coding", "content": breaking}, *reasoning_lines()])

    result = run_cli(improve_args(target, replay, tmp_path / "db.sqlite"), tmp_path / "home")

    assert result.returncode == 0, result.stderr
    assert "passed before and fails now" in result.stdout
    assert "identical to a patch that already failed" in result.stdout
    assert git(target, "rev-list", "--count", "main..ryx/improve").strip() == "0"


def test_nine_failures_escalate_in_policy_order(tmp_path):
    target = make_target(tmp_path / "proj")
    wrong = [{"role": "coding", "times": 1,
              "content": sr("calc.py", "    return a - b", f"    return a * b + {k}")} for k in range(9)]
    replay = replay_file(tmp_path / "r.jsonl", [*wrong, *reasoning_lines()])
    db = tmp_path / "db.sqlite"

    result = run_cli(improve_args(target, replay, db), tmp_path / "home")

    assert result.returncode == 0, result.stderr
    order = [line.split("(")[1].split(")")[0] for line in result.stdout.splitlines()
             if line.strip().startswith("approach") and "source(s)" in line]
    assert order == ["local", "online", "rethink"]
    assert result.stdout.count(": failed: rejected: no benchmark test gained: benchmark/test_calc.py::test_add is still failed (quick check") == 9
    assert "escalated benchmark/test_calc.py::test_add after 9 failures" in result.stdout
    assert git(target, "rev-list", "--count", "main..ryx/improve").strip() == "0"
    status = run_cli(["status", "--target", str(target), "--db", str(db)], tmp_path / "home", module="graph.cli")
    assert status.returncode == 0, status.stderr
    assert "tickets: 1" in status.stdout and "open: benchmark/test_calc.py::test_add" in status.stdout
    assert "parked: 1" in status.stdout


def test_protected_and_outside_edits_are_rejected_with_a_reason(tmp_path):
    target = make_target(tmp_path / "proj")
    cheat = sr("benchmark/test_calc.py", "    assert add(2, 3) == 5", "    assert True")
    outside = "../outside.py\n```python\n<<<<<<< SEARCH\n=======\nprint('escaped')\n>>>>>>> REPLACE\n```\n"
    conftest = "conftest.py\n```python\n<<<<<<< SEARCH\n=======\nimport pytest\n>>>>>>> REPLACE\n```\n"
    lines = [{"role": "coding", "times": 1, "content": c} for c in (cheat, outside, conftest)]
    replay = replay_file(tmp_path / "r.jsonl", [*lines, {"role": "coding", "content": FIX}, *reasoning_lines()])

    result = run_cli(improve_args(target, replay, tmp_path / "db.sqlite"), tmp_path / "home")

    assert result.returncode == 0, result.stderr
    refusals = [ln for ln in result.stdout.splitlines() if "refused" in ln]
    assert len(refusals) == 3, result.stdout
    assert "protected" in refusals[0] and "benchmark/test_calc.py" in refusals[0]
    assert "outside" in refusals[1]
    assert "protected" in refusals[2] and "conftest.py" in refusals[2]
    assert not (tmp_path / "outside.py").exists()
    assert git(target, "rev-list", "--count", "main..ryx/improve").strip() == "1"
    assert "assert add(2, 3) == 5" in git(target, "show", "ryx/improve:benchmark/test_calc.py")


def test_sigkill_mid_cycle_then_resume_finishes_with_one_commit(tmp_path):
    slow_bench = BENCH.replace("def test_mul_zero():", "def test_mul_zero():\n    import time; time.sleep(1.5)")
    target = make_target(tmp_path / "proj", {"calc.py": CALC, "benchmark/test_calc.py": slow_bench,
                                              "pyproject.toml": PYPROJECT})
    replay = replay_file(tmp_path / "r.jsonl", [{"role": "coding", "content": FIX}, *reasoning_lines()])
    args = improve_args(target, replay, tmp_path / "db.sqlite")
    home = tmp_path / "home"
    proc = subprocess.Popen([sys.executable, "-m", "graph.run", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=cli_env(home), start_new_session=True)
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if "patch applied" in line:
            time.sleep(0.5)  # verify is now scoring the candidate
            os.killpg(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "".join(seen)

    resumed = run_cli([*args, "--resume", "--cycles", "2"], home)

    assert resumed.returncode == 0, resumed.stderr + resumed.stdout
    assert "resuming cycle 1 at verify" in resumed.stdout
    # the resumed cycle counts, from the points it started with: 2 of 4, then 4 after the fix
    assert "Ryx: 2 cycle(s) on" in resumed.stdout and ": 2 -> 4 of 4 points" in resumed.stdout, resumed.stdout
    assert git(target, "rev-list", "--count", "main..ryx/improve").strip() == "1"
    worktrees = git(target, "worktree", "list", "--porcelain")
    assert worktrees.count("worktree ") == 1, worktrees
    assert not list((target / ".git").rglob("index.lock"))
    leftovers = list(Path(tempfile.gettempdir()).glob(f"ryx-run-{proc.pid}-*"))
    assert leftovers == [], "the killed run's private copy was not swept"


def test_candidate_that_breaks_collection_is_a_failed_attempt_with_the_error(tmp_path):
    target = make_target(tmp_path / "proj")
    broken = sr("calc.py", "def add(a, b):\n    return a - b",
                "import no_such_module_xyz\n\n\ndef add(a, b):\n    return a + b")
    replay = replay_file(tmp_path / "r.jsonl", [{"role": "coding", "times": 1, "content": broken},
                                                {"role": "coding", "content": FIX}, *reasoning_lines()])

    result = run_cli(improve_args(target, replay, tmp_path / "db.sqlite"), tmp_path / "home")

    assert result.returncode == 0, result.stderr + result.stdout
    assert "attempt 1/3: failed: rejected: the benchmark could not run on it" in result.stdout
    assert "attempt 2/3: improved" in result.stdout
    assert "no_such_module_xyz" not in git(target, "show", "ryx/improve:calc.py")


FLAKY_TEST = '''

@pytest.mark.points(3, category="math")
def test_flaky():
    """Fails, fails, passes, fails...: its outcome flips with the runs."""
    from pathlib import Path
    counter = Path({counter!r})
    runs = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(runs))
    assert runs % 3 == 0  # the baseline and the quick check see it fail, the full run pass
'''


def test_a_flaky_gain_is_detected_quarantined_and_never_counts(tmp_path):
    # The counter that makes the test flip lives outside the tree, where only an unsandboxed
    # run can keep it between runs: this test is also the --no-sandbox run end to end.
    bench = BENCH + FLAKY_TEST.format(counter=str(tmp_path / "flaky-runs"))
    target = make_target(tmp_path / "proj", {"calc.py": CALC, "benchmark/test_calc.py": bench,
                                              "pyproject.toml": PYPROJECT})
    replay = replay_file(tmp_path / "r.jsonl", [{"role": "coding", "content": FIX}, *reasoning_lines()])
    db = tmp_path / "db.sqlite"

    result = run_cli(improve_args(target, replay, db, "--no-sandbox"), tmp_path / "home")

    assert result.returncode == 0, result.stderr + result.stdout
    assert "WARNING: UNSANDBOXED (--no-sandbox)" in result.stdout
    # the full run sees test_flaky pass (3 points more), its re-run sees it fail: quarantined,
    # and only test_add's honest 2 points count
    assert "quarantined as flaky: benchmark/test_calc.py::test_flaky" in result.stdout
    assert "landed" in result.stdout and "on ryx/improve: 2 -> 4 points" in result.stdout
    assert result.stdout.strip().splitlines()[-1].endswith("UNSANDBOXED (--no-sandbox): candidate code ran as you, "
                                                           "without isolation.")
    status = run_cli(["status", "--target", str(target), "--db", str(db)], tmp_path / "home", module="graph.cli")
    assert "quarantined (flaky): 1" in status.stdout and "test_flaky" in status.stdout
    assert "1 cycle(s), UNSANDBOXED (--no-sandbox)" in status.stdout


def test_cycles_compound_on_ryx_improve_and_old_checkpoints_are_pruned(tmp_path):
    calc = CALC.replace("return a * b", "return a + b")
    target = make_target(tmp_path / "proj", {"calc.py": calc, "benchmark/test_calc.py": BENCH,
                                              "pyproject.toml": PYPROJECT})
    fix_mul = sr("calc.py", "def mul(a, b):\n    return a + b", "def mul(a, b):\n    return a * b")
    replay = replay_file(tmp_path / "r.jsonl", [
        {"role": "coding", "match": "test_add`", "content": FIX},
        {"role": "coding", "match": "test_mul", "content": fix_mul}, *reasoning_lines()])
    db = tmp_path / "db.sqlite"

    result = run_cli(improve_args(target, replay, db, "--cycles", "3"), tmp_path / "home")

    assert result.returncode == 0, result.stderr + result.stdout
    assert "nothing to improve: all 4 points earned" in result.stdout
    assert "0 -> 4 of 4 points (+4); idle 1, landed 2." in result.stdout
    assert git(target, "rev-list", "--count", "main..ryx/improve").strip() == "2"
    final = git(target, "show", "ryx/improve:calc.py")
    assert "return a + b" in final and "return a * b" in final
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM checkpoints").fetchone()[0] == 1


def test_an_idle_infinite_run_waits_and_stop_all_ends_it(tmp_path):
    target = make_target(tmp_path / "proj", {"calc.py": CALC.replace("a - b", "a + b"),
                                              "benchmark/test_calc.py": BENCH, "pyproject.toml": PYPROJECT})
    replay = replay_file(tmp_path / "r.jsonl", reasoning_lines())
    home = tmp_path / "home"
    proc = subprocess.Popen([sys.executable, "-m", "graph.run",
                             *improve_args(target, replay, tmp_path / "db.sqlite", "--infinite")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=cli_env(home),
                            start_new_session=True)
    try:
        seen = []
        for line in proc.stdout:
            seen.append(line)
            if "idle: checking again" in line:
                break
        stop = run_cli(["stop", "all"], home, module="graph.cli")
        rest = proc.communicate(timeout=30)[0]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert "nothing to improve: all 4 points earned" in "".join(seen)
    assert stop.returncode == 0 and "stopped 1 run(s)" in stop.stdout
    assert proc.returncode == 130, "".join(seen) + rest


def test_focus_is_mapped_by_the_intent_model_to_the_category_worked_on(tmp_path):
    bench = BENCH.replace('category="math")\ndef test_mul():', 'category="products")\ndef test_mul():')
    calc = CALC.replace("return a * b", "return a + b")
    target = make_target(tmp_path / "proj", {"calc.py": calc, "benchmark/test_calc.py": bench,
                                              "pyproject.toml": PYPROJECT})
    fix_mul = sr("calc.py", "def mul(a, b):\n    return a + b", "def mul(a, b):\n    return a * b")
    replay = replay_file(tmp_path / "r.jsonl", [
        {"role": "intent", "match": "multiplication", "content": "products"},
        {"role": "coding", "content": fix_mul}, *reasoning_lines()])

    result = run_cli(improve_args(target, replay, tmp_path / "db.sqlite", "--focus", "fix multiplication"),
                     tmp_path / "home")

    assert result.returncode == 0, result.stderr + result.stdout
    assert "weakness: products - benchmark/test_calc.py::test_mul " in result.stdout


def test_a_focus_holds_only_for_the_runs_that_give_it(tmp_path):
    bench = BENCH.replace('category="math")\ndef test_mul():', 'category="products")\ndef test_mul():')
    bench += ('\n\n@pytest.mark.points(1, category="products")\ndef test_power():\n'
              '    from calc import power\n    assert power(2, 3) == 8\n')
    calc = CALC.replace("return a * b", "return a + b")
    target = make_target(tmp_path / "proj", {"calc.py": calc, "benchmark/test_calc.py": bench,
                                              "pyproject.toml": PYPROJECT})
    fix_mul = sr("calc.py", "def mul(a, b):\n    return a + b", "def mul(a, b):\n    return a * b")
    first = replay_file(tmp_path / "r1.jsonl", [{"role": "intent", "match": "multiplication", "content": "products"},
                                                {"role": "coding", "content": fix_mul}, *reasoning_lines()])
    db, home = tmp_path / "db.sqlite", tmp_path / "home"
    focused = run_cli(improve_args(target, first, db, "--focus", "fix multiplication"), home)
    assert "weakness: products - benchmark/test_calc.py::test_mul " in focused.stdout, focused.stdout
    second = replay_file(tmp_path / "r2.jsonl", [{"role": "coding", "content": FIX}, *reasoning_lines()])

    unfocused = run_cli(improve_args(target, second, db, "--resume"), home)

    assert unfocused.returncode == 0, unfocused.stderr + unfocused.stdout
    # math (1 of 3) is weaker than products (1 of 2): without a focus, math is worked on
    assert "weakness: math - benchmark/test_calc.py::test_add " in unfocused.stdout, unfocused.stdout


def test_the_landed_candidate_is_the_next_cycles_cached_baseline(tmp_path):
    target = make_target(tmp_path / "proj")
    replay = replay_file(tmp_path / "r.jsonl", [{"role": "coding", "content": FIX}, *reasoning_lines()])

    result = run_cli(improve_args(target, replay, tmp_path / "db.sqlite", "--cycles", "2"), tmp_path / "home")

    assert result.returncode == 0, result.stderr + result.stdout
    assert "benchmark: 2/4 points\n" in result.stdout
    assert "benchmark: 4/4 points (cached)" in result.stdout
