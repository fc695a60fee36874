"""Ryx fixes Ryx, and the fixes compound within the night: each cycle runs the skills of the head
of ryx/improve (in the sandbox), and skills that break the loop are reverted there.

A clone of Ryx's own repository is the target, with a small probe benchmark (the full suite
takes tens of seconds a run). Only the model's replies are scripted.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from loop_helpers import GIT_ENV, RYX_ROOT, git, reasoning_lines, replay_file, run_cli

PROBE = '''import pytest


@pytest.mark.points(1, category="self_healing")
def test_greeting():
    from skills.heal.feedback import GREETING
    assert GREETING == "hello"


@pytest.mark.points(1, category="self_healing")
def test_second():
    from skills.probe_target import value
    assert value() == 2
'''
FEEDBACK_DEF = "def feedback_for_model(failures: Sequence[Failure], *, limit_chars: int = 1500) -> str:"
# The marker is held reversed everywhere a file could show it (this test, the skill's source):
# only running the landed skill puts it the right way round into a prompt.
MARKER = "]]1 elcyc ni dednal taht lliks eht yb nettirw kcabdeef[["[::-1]


def _sr(path: str, search: str, replace: str) -> str:
    return f"{path}\n```python\n<<<<<<< SEARCH\n{search}\n=======\n{replace}\n>>>>>>> REPLACE\n```\n"


def _new(path: str, text: str) -> str:
    return f"{path}\n```python\n<<<<<<< SEARCH\n=======\n{text}\n>>>>>>> REPLACE\n```\n"


GREETING = "GREETING = \"hello\"\n\n\n"
FIX_SECOND = _sr("skills/probe_target.py", "    return 1", "    return 2")


def _clone(tmp_path: Path) -> Path:
    """A clone of Ryx's HEAD whose benchmark is the probe (committed, like a user would)."""
    target = tmp_path / "ryx-clone"
    subprocess.run(["git", "clone", "-q", str(RYX_ROOT), str(target)], check=True)
    pyproject = (target / "pyproject.toml").read_text()
    (target / "pyproject.toml").write_text(pyproject.replace('paths = ["benchmark/suite"]', 'paths = ["benchmark/probe"]'))
    (target / "benchmark" / "probe").mkdir()
    (target / "benchmark" / "probe" / "test_probe.py").write_text(PROBE)
    (target / "skills" / "probe_target.py").write_text('"""A value the probe asks for."""\n\n\ndef value():\n    return 1\n')
    git(target, "checkout", "-q", "-B", "main")
    git(target, "add", "-A")
    git(target, "commit", "-qm", "probe benchmark")
    return target


def _night(tmp_path: Path, target: Path, lines: list[dict], cycles: int) -> subprocess.CompletedProcess:
    replay = replay_file(tmp_path / "r.jsonl", [*lines, *reasoning_lines()])
    args = ["--target", str(target), "--replay", str(replay), "--db", str(tmp_path / "db.sqlite"), "--offline",
            "--cycles", str(cycles)]
    return run_cli(args, tmp_path / "home", timeout=600)


def _log(target: Path) -> list[str]:
    return git(target, "log", "--format=%s", "main..ryx/improve").splitlines()[::-1]


@pytest.mark.slow
def test_the_second_cycle_runs_the_skill_the_first_one_landed(tmp_path):
    target = _clone(tmp_path)
    # Cycle 1 lands a change to skills/heal/feedback.py: GREETING, and feedback that starts
    # with a marker the code computes (its source holds it reversed, so reading the file into
    # a prompt does not show it). Cycle 2's only fitting reply needs that marker in its prompt:
    # the failure text pick_weakness wrote by running the skills of ryx/improve's head.
    new_feedback = _sr("skills/heal/feedback.py", FEEDBACK_DEF,
                       f"{GREETING}{FEEDBACK_DEF}\n    \"\"\"The feedback, under a line that says which skill wrote it.\"\"\"\n"
                       f"    return {MARKER[::-1]!r}[::-1] + \"\\n\" + _feedback(failures, limit_chars)\n\n\n"
                       "def _feedback(failures: Sequence[Failure], limit_chars: int) -> str:")
    lines = [{"role": "coding", "match": "::test_greeting`", "times": 1, "content": new_feedback},
             {"role": "coding", "match": MARKER.replace("[", r"\[").replace("]", r"\]"), "content": FIX_SECOND}]

    result = _night(tmp_path, target, lines, cycles=2)

    assert result.returncode == 0, result.stdout + result.stderr
    assert _log(target) == ["ryx: benchmark/probe/test_probe.py::test_greeting passes (0 -> 1 points)",
                            "ryx: benchmark/probe/test_probe.py::test_second passes (1 -> 2 points)"]
    cycle_lines = [ln for ln in result.stdout.splitlines() if ln.startswith("cycle ")]
    assert cycle_lines[0].startswith("cycle 1 (skills of ryx/improve ")
    assert cycle_lines[1] != cycle_lines[0].replace("cycle 1", "cycle 2")  # another skills commit
    status = run_cli(["status", "--target", str(target), "--db", str(tmp_path / "db.sqlite")], tmp_path / "home",
                     module="graph.cli")
    head = git(target, "rev-parse", "ryx/improve~1").strip()
    assert f"skills: {head[:10]} of ryx/improve" in status.stdout


@pytest.mark.slow
def test_a_landed_skill_that_breaks_the_loop_is_reverted_and_the_night_goes_on(tmp_path):
    target = _clone(tmp_path)
    # Lands (the probe imports skills.heal alone, so the import succeeds there), while the
    # loop's ping, which imports skills.edit first, fails on it from then on. One hunk with
    # the gain: cutting the candidate down cannot separate the two.
    breaking = _sr("skills/heal/feedback.py", FEEDBACK_DEF,
                   GREETING + "import sys as _sys\n\nif \"skills.edit\" in _sys.modules:\n"
                   "    raise ImportError(\"this landed skill breaks the loop\")\n\n\n" + FEEDBACK_DEF)
    honest = _sr("skills/heal/feedback.py", FEEDBACK_DEF, GREETING + FEEDBACK_DEF)
    lines = [{"role": "coding", "match": "::test_greeting`", "times": 1, "content": breaking},
             {"role": "coding", "match": "::test_greeting`", "content": honest},
             {"role": "coding", "match": "::test_second`", "content": FIX_SECOND}]

    result = _night(tmp_path, target, lines, cycles=3)

    assert result.returncode == 0, result.stdout + result.stderr
    log = _log(target)
    assert log[0] == "ryx: benchmark/probe/test_probe.py::test_greeting passes (0 -> 1 points)"
    assert log[1].startswith("ryx: revert ") and log[1].endswith("its skills break the loop")
    assert log[2:] == ["ryx: benchmark/probe/test_probe.py::test_greeting passes (0 -> 1 points)",
                       "ryx: benchmark/probe/test_probe.py::test_second passes (1 -> 2 points)"]
    assert "raise ImportError" not in git(target, "show", "ryx/improve:skills/heal/feedback.py")
    assert "skills broke the loop: reverted" in result.stdout
    report = next(ln for ln in result.stdout.splitlines() if ln.startswith("  report: "))[len("  report: "):]
    assert "SkillsBroken" in Path(report).read_text()
    approvals = run_cli(["approvals", "--target", str(target), "--db", str(tmp_path / "db.sqlite")],
                        tmp_path / "home", module="graph.cli")
    assert " reverted core: benchmark/probe/test_probe.py::test_greeting" in approvals.stdout


@pytest.mark.slow
def test_a_skill_that_crashes_mid_cycle_is_reverted_and_the_cycle_starts_again(tmp_path):
    target = _clone(tmp_path)
    # Passes the ping (short outputs) and crashes on the loop's real, longer test output.
    crashing = _sr("skills/heal/feedback.py", FEEDBACK_DEF,
                   f"{GREETING}{FEEDBACK_DEF}\n    \"\"\"The feedback, for short outputs only.\"\"\"\n"
                   "    if sum(len(f.excerpt) for f in failures) > 80:\n"
                   "        raise RuntimeError(\"this landed skill crashes on real output\")\n"
                   "    return _feedback(failures, limit_chars)\n\n\n"
                   "def _feedback(failures: Sequence[Failure], limit_chars: int) -> str:")
    honest = _sr("skills/heal/feedback.py", FEEDBACK_DEF, GREETING + FEEDBACK_DEF)
    lines = [{"role": "coding", "match": "::test_greeting`", "times": 1, "content": crashing},
             {"role": "coding", "match": "::test_greeting`", "content": honest},
             {"role": "coding", "match": "::test_second`", "content": FIX_SECOND}]

    result = _night(tmp_path, target, lines, cycles=3)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "skills broke the loop: reverted" in result.stdout and "crashes on real output" in result.stdout
    log = _log(target)
    assert log[1].startswith("ryx: revert ") and log[-1].endswith("test_second passes (1 -> 2 points)")


def test_skills_import_nothing_of_the_loop():
    import ast

    loop = {"graph", "nodes", "state", "ryx", "benchmark"}
    for path in (RYX_ROOT / "skills").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
            assert not {n.split(".")[0] for n in names} & loop, f"{path} imports the loop: {names}"


__all__ = ["GIT_ENV"]
