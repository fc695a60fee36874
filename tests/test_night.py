"""The night: its report written unasked, its supervisor, memory across nights, following the
user's branch. Real git, SQLite, sandboxed pytest, CLI subprocesses; only replies scripted."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from fake_ollama import FakeOllama
from loop_helpers import (
    BENCH,
    CALC,
    FIX,
    PYPROJECT,
    git,
    improve_args,
    make_target,
    reasoning_lines,
    replay_file,
    run_cli,
    sr,
)

from graph.night import Night
from graph.supervisor import NightOver, Supervisor, fault_kind, is_model_outage
from ryx.config import FaultPolicy
from ryx.follow import follow
from ryx.gitops import Workspace


def test_a_night_ends_with_its_report_written_unasked_and_shown_again_on_request(tmp_path):
    target = make_target(tmp_path / "proj")
    replay = replay_file(tmp_path / "r.jsonl", [{"role": "coding", "content": FIX}, *reasoning_lines()])
    db = tmp_path / "db.sqlite"

    result = run_cli(improve_args(target, replay, db, "--cycles", "2"), tmp_path / "home")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(ln.startswith("Night ") and "2 cycle(s), ended: 2 cycle(s) done" in ln for ln in lines)
    assert "  math: 2 -> 4 of 4" in lines
    assert any(ln.startswith("  time: model") for ln in lines) and "  model loads: coding 1, reasoning 1" in lines
    report = Path(next(ln for ln in lines if ln.startswith("  report: "))[len("  report: "):])
    text = report.read_text()
    assert "| math | 2 | 4 | 4 |" in text and "## Landed on ryx/improve: 1" in text
    assert "pending (core)" in text and report.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"
    assert lines[-1].startswith("Ryx: 2 cycle(s)")
    again = run_cli(["report", "--night", "latest", "--target", str(target), "--db", str(db)], tmp_path / "home",
                    module="graph.cli")
    assert again.returncode == 0 and "math: 2 -> 4 of 4" in again.stdout and str(report) in again.stdout


def _supervisor(tmp_path: Path, heals: list, max_same: int = 3, url: str | None = None) -> Supervisor:
    night = Night.begin(str(tmp_path), "t", True)
    workspace = SimpleNamespace(prepare=lambda: heals.append(1))
    return Supervisor(FaultPolicy(max_same=max_same, backoff_cap_s=0, model_wait_s=20), night,
                      workspace=workspace, stopped=lambda: False, model_url=url)


def _raise(exc: Exception) -> Exception:
    try:
        raise exc
    except Exception as caught:
        return caught


def test_the_supervisor_heals_and_retries_until_one_fault_repeats_too_often(tmp_path):
    heals: list = []
    sup = _supervisor(tmp_path, heals)
    sup.survive(_raise(FileNotFoundError("worktree gone")), cycle=1)
    sup.survive(_raise(KeyError("x")), cycle=1)  # another kind: the count starts again
    sup.survive(_raise(FileNotFoundError("worktree gone")), cycle=1)
    sup.cycle_done()
    sup.survive(_raise(FileNotFoundError("worktree gone")), cycle=2)
    sup.survive(_raise(FileNotFoundError("worktree gone")), cycle=2)
    with pytest.raises(NightOver, match="the same fault happened 3 times in a row"):
        sup.survive(_raise(FileNotFoundError("worktree gone")), cycle=2)
    assert len(heals) == 5
    assert [f["action"].split(",")[0] for f in sup.night.faults] == ["workspace healed"] * 5 + ["ended the night"]
    assert sup.night.faults[0]["kind"].startswith("FileNotFoundError at tests/test_night.py:_raise")


def test_the_supervisor_waits_for_a_model_server_that_went_away(tmp_path):
    with FakeOllama() as server:
        sup = _supervisor(tmp_path, [], url=server.url)
        threading.Thread(target=server.outage, args=(2.0,), daemon=True).start()
        time.sleep(0.3)
        started = time.monotonic()
        outage = _raise(ConnectionError("Failed to connect to Ollama"))
        assert is_model_outage(outage) and not is_model_outage(_raise(ValueError("x")))
        sup.survive(outage, cycle=4)
        assert 1.0 < time.monotonic() - started < 10
    assert sup.night.faults[0]["action"].startswith("waited") and sup.repeats == 0


def test_fault_kinds_name_the_place_in_ryx(tmp_path):
    from ryx.gitops import WorkspaceLost

    ws = Workspace(make_target(tmp_path / "proj"))
    with pytest.raises(WorkspaceLost) as caught:
        ws.check_present()
    assert fault_kind(caught.value) == "WorkspaceLost at ryx/gitops.py:check_present"


def test_the_same_fault_again_and_again_ends_the_night_with_exit_1_and_says_why(tmp_path):
    target = make_target(tmp_path / "proj", {"calc.py": CALC, "benchmark/test_calc.py": BENCH,
                                              "pyproject.toml": PYPROJECT,
                                              "ryx.toml": "[loop]\nmax_faults = 2\nfault_backoff_s = 0\n"})
    db = tmp_path / "db" / "ryx.sqlite"
    db.parent.mkdir()
    (db.parent / "research").write_text("a file where local research keeps its index folder\n")
    replay = replay_file(tmp_path / "r.jsonl", [{"role": "coding", "content": FIX}, *reasoning_lines()])

    result = run_cli(improve_args(target, replay, db, "--infinite"), tmp_path / "home")

    assert result.returncode == 1, result.stdout + result.stderr
    assert "the same fault happened 2 times in a row (FileExistsError at ryx/library.py:research_folder" \
        in result.stderr
    assert result.stderr.count("ryx: fault in cycle 1: FileExistsError") == 2
    assert any(ln.startswith("Night ") and "ended: a fault that kept coming back" in ln for ln in result.stdout.splitlines())
    assert "(ended the night)" in result.stdout and (tmp_path / "db").glob("night-*.md")


def _landed(target: Path) -> list[str]:
    return git(target, "log", "--format=%s", "main..ryx/improve").splitlines()


def test_ryx_improve_follows_the_users_branch_by_merge_or_starts_afresh_on_a_conflict(tmp_path):
    target = make_target(tmp_path / "proj")
    ws = Workspace(target)
    ws.prepare()
    assert follow(ws).kind == "even"
    (target / "README.md").write_text("user's work\n")
    git(target, "add", "README.md")
    git(target, "commit", "-qm", "user docs")
    assert follow(ws).kind == "fast-forward" and (ws.path / "README.md").exists()
    calc = ws.path / "calc.py"
    calc.write_text(calc.read_text().replace("a - b", "a + b"))
    snap = ws.snapshot()
    ws.commit(snap.diff, "ryx: fix add", "c1", base=ws.head(), tree=ws.staged_tree())
    (target / "NOTES.md").write_text("more\n")
    git(target, "add", "NOTES.md")
    git(target, "commit", "-qm", "user notes")
    merged = follow(ws)
    assert merged.kind == "merged" and merged.merge == ws.branch_head()
    assert (ws.path / "NOTES.md").exists() and "a + b" in calc.read_text()
    (target / "calc.py").write_text(CALC.replace("a - b", "b + a"))
    git(target, "commit", "-qam", "user fixes add their way")
    restarted = follow(ws)
    assert restarted.kind == "restarted" and restarted.kept.startswith("ryx/improve-")
    assert git(target, "rev-parse", "ryx/improve") == git(target, "rev-parse", "main")
    assert "ryx: fix add" in git(target, "log", "--format=%s", restarted.kept)
    ws.remove()


def test_night_two_prompts_carry_night_ones_failed_diffs_and_reasons(tmp_path):
    target = make_target(tmp_path / "proj")
    db = tmp_path / "db.sqlite"
    wrong = [{"role": "coding", "times": 1,
              "content": sr("calc.py", "    return a - b", f"    return a * b + {7770 + k}")} for k in range(9)]
    night1 = run_cli(improve_args(target, replay_file(tmp_path / "n1.jsonl", [*wrong, *reasoning_lines()]), db),
                     tmp_path / "home")
    assert night1.returncode == 0 and "escalated" in night1.stdout, night1.stdout + night1.stderr
    typo = run_cli(["note", "benchmark/test_calc.py::test_ad", "add must add", "--target", str(target),
                    "--db", str(db)], tmp_path / "home", module="graph.cli")
    assert typo.returncode == 2 and "no benchmark test 'benchmark/test_calc.py::test_ad'" in typo.stderr
    assert "Parked (escalated) tests: benchmark/test_calc.py::test_add." in typo.stderr
    note = run_cli(["note", "benchmark/test_calc.py::test_add", "add must add", "--target", str(target),
                    "--db", str(db)], tmp_path / "home", module="graph.cli")
    assert note.returncode == 0, note.stderr
    # Night 2's only coding reply fits a prompt that holds the supervisor's lesson from night 1,
    # and night 1's last diff and its reason.
    remembered = r"Lesson from earlier failures: Ryx does not see(.|\n)*return a \* b \+ 7778(.|\n)*no benchmark test gained"
    fix_if_remembered = {"role": "coding", "match": remembered, "content": FIX}
    night2 = run_cli(improve_args(target, replay_file(tmp_path / "n2.jsonl", [fix_if_remembered, *reasoning_lines()]),
                                  db), tmp_path / "home")
    assert night2.returncode == 0, night2.stdout + night2.stderr
    assert "attempt 1/3: improved" in night2.stdout
    assert _landed(target) == ["ryx: benchmark/test_calc.py::test_add passes (2 -> 4 points)"]


SLOW_BENCH = BENCH.replace("def test_mul_zero():", "def test_mul_zero():\n    import time; time.sleep(1.5)") + '''

@pytest.mark.points(1, category="math")
def test_sub():
    from calc import sub
    assert sub(5, 3) == 2
'''
THREE_BUGS = CALC.replace("return a * b", "return a + b") + "\n\ndef sub(a, b):\n    return a * b\n"
FIXES = {
    "test_add": sr("calc.py", "def add(a, b):\n    return a - b", "def add(a, b):\n    return a + b"),
    "test_mul": sr("calc.py", "def mul(a, b):\n    return a + b", "def mul(a, b):\n    return a * b"),
    "test_sub": sr("calc.py", "def sub(a, b):\n    return a * b", "def sub(a, b):\n    return a - b"),
}
SPOILER = sr("calc.py", "def add(a, b):\n    return a - b",
             "import os, shutil\nshutil.rmtree('benchmark', ignore_errors=True)\nfor _f in os.listdir('.'):\n"
             "    if _f.endswith('.toml'):\n        os.remove(_f)\n\n\ndef add(a, b):\n    return a - b")


def _coder(seen: list[str]):
    """The coding model: the spoiler once, then the fix for whichever test the prompt is about."""
    def reply(body: dict) -> str:
        prompt = "\n".join(m["content"] for m in body["messages"])
        test = next(t for t in FIXES if f"::{t}`" in prompt)
        seen.append(test)
        return SPOILER if seen.count("test_add") == 1 and test == "test_add" else FIXES[test]
    return reply


class _Driver:
    """Reads the night's output as it comes and injects faults from outside."""

    def __init__(self, proc, target: Path, server: FakeOllama, home: Path) -> None:
        self.proc, self.target, self.server, self.home = proc, target, server, home
        self.lines: list[str] = []
        self.deleted = 0
        self.events: list[str] = []

    def run(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line)
            self._react(line)

    def _react(self, line: str) -> None:
        if "patch applied" in line and self.deleted < 2:  # verify is scoring now (a slow test)
            time.sleep(0.6)
            import shutil
            shutil.rmtree(self.target / ".git" / "ryx" / "worktree", ignore_errors=True)
            self.deleted += 1
            self.events.append("deleted the worktree")
        elif "landed" in line and "on ryx/improve" in line and "user committed" not in self.events:
            (self.target / "USER.md").write_text("the user keeps working\n")
            git(self.target, "add", "USER.md")
            git(self.target, "commit", "-qm", "user work during the night")
            self.events.append("user committed")
        elif "landed" in line and "on ryx/improve" in line and "model server down" not in self.events:
            self.events.append("model server down")
            threading.Thread(target=self.server.outage, args=(30.0,), daemon=True).start()
        elif "nothing to improve" in line and "stop all" not in self.events:
            self.events.append("stop all")
            run_cli(["stop", "all"], self.home, module="graph.cli")


@pytest.mark.slow
def test_an_infinite_night_survives_faults_from_outside_and_lands_each_fix_once(tmp_path):
    import subprocess
    import sys

    from loop_helpers import RYX_ROOT, cli_env

    target = make_target(tmp_path / "proj", {"calc.py": THREE_BUGS, "benchmark/test_calc.py": SLOW_BENCH,
                                              "pyproject.toml": PYPROJECT,
                                              "ryx.toml": "[loop]\nfault_backoff_s = 1\nmodel_wait_s = 120\n"})
    seen: list[str] = []
    with FakeOllama() as server:
        server.script("qwen2.5-coder:14b", _coder(seen))
        server.script("*", "Plan: fix the function the test names.")
        env = {**cli_env(tmp_path / "home"), "OLLAMA_HOST": server.url}
        args = ["--target", str(target), "--db", str(tmp_path / "db.sqlite"), "--provider", "ollama",
                "--offline", "--infinite"]
        proc = subprocess.Popen([sys.executable, "-m", "graph.run", *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env, cwd=RYX_ROOT)
        driver = _Driver(proc, target, server, tmp_path / "home")
        reader = threading.Thread(target=driver.run, daemon=True)
        reader.start()
        try:
            proc.wait(timeout=400)
        finally:
            proc.kill()
        reader.join(timeout=10)
        stderr = proc.stderr.read()
    out = "".join(driver.lines)
    assert proc.returncode == 130, out + stderr
    assert driver.events == ["deleted the worktree", "user committed", "deleted the worktree",
                             "model server down", "stop all"], (driver.events, out)
    landed = [s for s in _landed(target) if s.startswith("ryx: benchmark")]
    assert sorted(s.split("::")[1].split()[0] for s in landed) == ["test_add", "test_mul", "test_sub"]
    assert any(s.startswith("ryx: follow main") for s in _landed(target))
    assert git(target, "show", "ryx/improve:USER.md") == "the user keeps working\n"
    report = Path(next(ln for ln in driver.lines if ln.startswith("  report: "))[len("  report: "):].strip()).read_text()
    assert report.count("WorkspaceLost") + report.count("WorktreeMissing") == 2, report
    assert "waited" in report and "for the model server" in report
    assert "## ryx/improve followed your branch" in report
    assert not (target / ".git" / "ryx" / "worktree").exists()
