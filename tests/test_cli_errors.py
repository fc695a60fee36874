"""Bad input gets one clear message and the design's exit code; nothing of the user's changes."""

from __future__ import annotations

import fcntl
import sqlite3
import subprocess
import sys
import time

from fake_ollama import FakeOllama
from loop_helpers import (
    CALC,
    FIX,
    RYX_ROOT,
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


def _replay(tmp_path):
    return replay_file(tmp_path / "r.jsonl", [{"role": "coding", "content": FIX}, *reasoning_lines()])


def test_not_a_git_repository_exits_3(tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    result = run_cli(improve_args(plain, _replay(tmp_path), tmp_path / "db.sqlite"), tmp_path / "h")
    assert result.returncode == 3
    assert "is not a git repository" in result.stderr and "git init" in result.stderr
    assert list(plain.iterdir()) == []


def test_malformed_ryx_toml_names_the_key_and_exits_2(tmp_path):
    target = make_target(tmp_path / "proj")
    (target / "ryx.toml").write_text("[benchmark]\npaths = ['benchmark']\ntimeout = 3\n")
    result = run_cli(improve_args(target, _replay(tmp_path), tmp_path / "db.sqlite"), tmp_path / "h")
    assert result.returncode == 2
    assert "`benchmark.timeout`" in result.stderr and "test_timeout_s" in result.stderr


def test_invalid_toml_syntax_exits_2(tmp_path):
    target = make_target(tmp_path / "proj")
    (target / "ryx.toml").write_text("[benchmark\n")
    result = run_cli(improve_args(target, _replay(tmp_path), tmp_path / "db.sqlite"), tmp_path / "h")
    assert result.returncode == 2 and "not valid TOML" in result.stderr


def test_ollama_unreachable_names_url_and_ways_out(tmp_path):
    target = make_target(tmp_path / "proj")
    result = run_cli(["--target", str(target), "--provider", "ollama", "--db", str(tmp_path / "d.sqlite")],
                     tmp_path / "h")
    assert result.returncode == 3
    assert "http://127.0.0.1:9" in result.stderr
    assert "ollama serve" in result.stderr and "--provider embedded" in result.stderr


def test_model_not_pulled_names_the_pull_command(tmp_path):
    target = make_target(tmp_path / "proj")
    with FakeOllama(models=["qwen2.5:3b", "phi4:14b"]) as server:
        env = {**cli_env(tmp_path / "h"), "OLLAMA_HOST": server.url}
        result = subprocess.run([sys.executable, "-m", "graph.run", "--target", str(target),
                                 "--provider", "ollama", "--db", str(tmp_path / "d.sqlite")],
                                capture_output=True, text=True, env=env, cwd=RYX_ROOT, timeout=60)
    assert result.returncode == 3
    assert "ollama pull qwen2.5-coder:14b" in result.stderr


def test_malformed_replay_file_names_the_line(tmp_path):
    target = make_target(tmp_path / "proj")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"role": "coding", "content": "x"}\n{"role": "coder", "content": "y"}\n')
    result = run_cli(improve_args(target, bad, tmp_path / "db.sqlite"), tmp_path / "h")
    assert result.returncode == 2
    assert "bad.jsonl" in result.stderr and "line 2" in result.stderr


def test_replay_without_a_fitting_line_stops_with_checkpoint_intact(tmp_path):
    target = make_target(tmp_path / "proj")
    replay = replay_file(tmp_path / "r.jsonl", reasoning_lines())
    db = tmp_path / "db.sqlite"
    result = run_cli(improve_args(target, replay, db), tmp_path / "h")
    assert result.returncode == 1
    assert "coding" in result.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM checkpoints").fetchone()[0] > 0
    fixed = replay_file(tmp_path / "r2.jsonl", [{"role": "coding", "content": FIX}, *reasoning_lines()])
    resumed = run_cli([*improve_args(target, fixed, db), "--resume"], tmp_path / "h")
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming cycle 1 at patch" in resumed.stdout
    assert git(target, "rev-list", "--count", "main..ryx/improve").strip() == "1"


def test_corrupt_checkpoint_database_exits_2_and_is_kept(tmp_path):
    target = make_target(tmp_path / "proj")
    db = tmp_path / "db.sqlite"
    db.write_bytes(b"this is not sqlite" * 100)
    result = run_cli(improve_args(target, _replay(tmp_path), db), tmp_path / "h")
    assert result.returncode == 2
    assert "is damaged" in result.stderr and "mv " in result.stderr
    assert db.read_bytes() == b"this is not sqlite" * 100


def test_locked_checkpoint_database_exits_2(tmp_path):
    target = make_target(tmp_path / "proj")
    db = tmp_path / "db.sqlite"
    before = user_view(target)
    with open(tmp_path / "db.lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        result = run_cli(improve_args(target, _replay(tmp_path), db), tmp_path / "h")
    assert result.returncode == 2
    assert "in use by another Ryx run" in result.stderr and "ryx stop all" in result.stderr
    assert user_view(target) == before


def test_bad_usage_exits_2(tmp_path):
    result = run_cli(["--cycles", "0"], tmp_path / "h")
    assert result.returncode == 2 and "--cycles must be at least 1" in result.stderr
    result = run_cli(["--model", "coding"], tmp_path / "h")
    assert result.returncode == 2 and "ROLE=NAME" in result.stderr


def test_target_whose_package_is_called_benchmark_is_scored(tmp_path):
    files = {
        "benchmark/__init__.py": "def add(a, b):\n    return a - b\n",
        "benchmark/test_own.py": ("import pytest\nfrom benchmark import add\n\n\n"
                                  "@pytest.mark.points(3, category='own')\ndef test_add():\n"
                                  "    assert add(1, 1) == 2\n"),
        "pyproject.toml": "[tool.pytest.ini_options]\nmarkers = ['points(n, category): p']\n",
    }
    target = make_target(tmp_path / "proj", files)
    fix = sr("benchmark/__init__.py", "    return a - b", "    return a + b")
    (target / "ryx.toml").write_text("[benchmark]\npaths = ['benchmark/test_own.py']\n")
    git(target, "add", "-A")
    git(target, "commit", "-q", "-m", "config")
    replay = replay_file(tmp_path / "r.jsonl", [{"role": "coding", "content": fix}, *reasoning_lines()])
    started = time.monotonic()
    result = run_cli(improve_args(target, replay, tmp_path / "db.sqlite"), tmp_path / "h")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "benchmark: 0/3 points" in result.stdout
    assert time.monotonic() - started < 120


def test_a_second_run_on_the_same_target_is_refused_and_leaves_the_first_alone(tmp_path):
    target = make_target(tmp_path / "proj")
    from ryx.gitops import Workspace

    ws = Workspace(target)
    with ws.exclusive():
        ws.prepare()
        result = run_cli(improve_args(target, _replay(tmp_path), tmp_path / "other.sqlite"), tmp_path / "h")
        assert ws.path.is_dir(), "the first run's worktree must survive"
    ws.remove()
    assert result.returncode == 2
    assert "another Ryx run is working on" in result.stderr


def test_the_demo_runs_unattended_in_a_terminal_and_ends_with_the_follow_up_commands(tmp_path):
    from procs import on_a_terminal

    wrong = {"role": "coding", "content": "no idea\n"}  # every attempt fails: the demo escalates
    replay = replay_file(tmp_path / "r.jsonl", [wrong, *reasoning_lines()])
    demo, db = tmp_path / "demo", tmp_path / "db.sqlite"
    code, shown = on_a_terminal([sys.executable, "-m", "graph.cli", "demo", "--dir", str(demo), "--replay",
                                 str(replay), "--db", str(db), "--offline"], cli_env(tmp_path / "h"), timeout=300,
                                typing=True)
    assert code == 0, shown[-3000:]  # a question would have waited, for input that never comes, past the timeout
    assert "escalated 1" in shown and "note" not in shown.split("escalated", 1)[0][-300:]
    assert f"ryx status --target {demo} --db {db}" in shown
    assert f"ryx approve ID --target {demo} --db {db}" in shown


def test_resume_takes_a_thread_id_and_refuses_an_unknown_one(tmp_path):
    target = make_target(tmp_path / "proj")
    replay = replay_file(tmp_path / "r.jsonl", [{"role": "coding", "content": FIX}, *reasoning_lines()])
    db, home = tmp_path / "db.sqlite", tmp_path / "h"
    first = run_cli(improve_args(target, replay, db, "--thread", "night-one"), home)
    assert first.returncode == 0, first.stderr
    again = run_cli(improve_args(target, replay, db, "--resume", "--thread", "night-one"), home)
    assert again.returncode == 0, again.stderr
    assert "| thread night-one |" in again.stdout
    unknown = run_cli(improve_args(target, replay, db, "--resume", "--thread", "night-two"), home)
    assert unknown.returncode == 2
    assert "--resume --thread night-two: no such thread" in unknown.stderr and "known: night-one" in unknown.stderr


def test_a_target_without_points_markers_counts_every_test_and_a_bad_path_is_refused_before_any_branch(tmp_path):
    plain = make_target(tmp_path / "plain", {"calc.py": CALC, "tests/test_calc.py":
                                             "from calc import add, mul\n\n\ndef test_add():\n    assert add(2, 3) == 5\n\n\n"
                                             "def test_mul():\n    assert mul(2, 3) == 6\n"})
    replay = replay_file(tmp_path / "r.jsonl", [{"role": "coding", "content": FIX}, *reasoning_lines()])
    result = run_cli(improve_args(plain, replay, tmp_path / "db.sqlite"), tmp_path / "h")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "benchmark: no benchmark/ folder and no [benchmark] paths: every test pytest collects" in result.stdout
    assert "benchmark: 1/2 points" in result.stdout and ".git/ryx" not in result.stdout + result.stderr

    wrong = make_target(tmp_path / "wrong", {"calc.py": CALC, "ryx.toml": '[benchmark]\npaths = ["bench"]\n'})
    refused = run_cli(improve_args(wrong, replay, tmp_path / "db2.sqlite"), tmp_path / "h")
    assert refused.returncode == 2
    assert "the benchmark path(s) bench of" in refused.stderr and ".git/ryx" not in refused.stderr
    assert "ryx/improve" not in git(wrong, "branch", "--list")


def test_version_help_texts_and_one_default_target_for_every_command(tmp_path):
    version = run_cli(["--version"], tmp_path / "h", module="graph.cli")
    assert version.returncode == 0 and version.stdout.startswith("ryx 0.")
    assert "Runs, points, approvals, tickets." in run_cli(["status", "--help"], tmp_path / "h", module="graph.cli").stdout
    assert "usage: ryx benchmark" in run_cli(["benchmark", "--help"], tmp_path / "h", module="graph.cli").stdout
    assert "unattended" in run_cli(["demo", "--help"], tmp_path / "h", module="graph.cli").stdout
    target = make_target(tmp_path / "proj")
    (target / "src").mkdir()
    db = tmp_path / "db.sqlite"
    scored = run_cli(["benchmark", "--db", str(db)], tmp_path / "h", module="graph.cli", cwd=target / "src")
    assert scored.returncode == 0, scored.stderr
    assert scored.stdout.startswith(f"{target}  tree ")
    status = run_cli(["status", "--db", str(db)], tmp_path / "h", module="graph.cli", cwd=target / "src")
    assert status.returncode == 0 and f"target {target}" in status.stdout, status.stderr


def test_terminal_reasons_are_short_and_ryx_show_prints_the_whole_attempt(tmp_path):
    wrong = sr("calc.py", "    return a - b", "    return a * b  # a wrong guess")
    replay = replay_file(tmp_path / "r.jsonl", [{"role": "coding", "times": 1, "content": wrong},
                                                {"role": "coding", "content": FIX}, *reasoning_lines()])
    target, db, home = make_target(tmp_path / "proj"), tmp_path / "db.sqlite", tmp_path / "h"
    run = run_cli(improve_args(target, replay, db), home)
    assert run.returncode == 0, run.stderr
    line = next(ln for ln in run.stdout.splitlines() if "attempt 1/3: failed" in ln)
    assert line.endswith("(`ryx show c1-a1-t1`)") and "…(" not in line
    assert len(line.split(": failed: ", 1)[1]) < 200
    shown = run_cli(["show", "c1-a1-t1", "--target", str(target), "--db", str(db)], home, module="graph.cli")
    assert shown.returncode == 0, shown.stderr
    for part in ("attempt c1-a1-t1: benchmark/test_calc.py::test_add", "reason:", "no benchmark test gained",
                 "diff scored:", "+    return a * b  # a wrong guess", "prompt to the coding model:",
                 "Make this failing benchmark test pass", "reply 1:", "benchmark output:"):
        assert part in shown.stdout, part
    landed = git(target, "rev-parse", "ryx/improve").strip()
    commit = run_cli(["show", landed[:10], "--target", str(target), "--db", str(db)], home, module="graph.cli")
    assert f"commit {landed}" in commit.stdout and "+    return a + b" in commit.stdout
    unknown = run_cli(["show", "nope", "--target", str(target), "--db", str(db)], home, module="graph.cli")
    assert unknown.returncode == 2 and "the last ones: c1-a1-t1, c1-a1-t2" in unknown.stderr
