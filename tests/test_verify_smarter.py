"""Verify smarter: fail fast on the weakness, land only the hunks that earn, never worse code.

Real git, sandboxed pytest, CLI subprocesses; only the model's replies are scripted."""

from __future__ import annotations

from loop_helpers import git, improve_args, make_target, reasoning_lines, replay_file, run_cli, sr

from benchmark.hunks import join_parts, split_diff
from benchmark.reduce import ddmin

FILLER = "\n".join(f"# note {i}: nothing to see here" for i in range(8))
CALC = f'''"""calc: a small arithmetic module."""


def add(a, b):
    return a - b


{FILLER}


def total(xs):
    """The sum of xs."""
    result = 0
    for x in xs:
        result += x
    return result


{FILLER.replace("note", "remark")}


def mul(a, b):
    return a * b
'''
BENCH = '''import pytest

from calc import add, mul, total


@pytest.mark.points(2, category="math")
def test_add():
    assert add(2, 3) == 5


@pytest.mark.points(1, category="math")
def test_mul():
    assert mul(2, 3) == 6


@pytest.mark.points(1, category="math")
def test_total():
    assert total([1, 2, 3]) == 6
'''
PYPROJECT = '[tool.pytest.ini_options]\nmarkers = ["points(n, category): points"]\n'
FIX = sr("calc.py", "def add(a, b):\n    return a - b", "def add(a, b):\n    return a + b")


def _target(tmp_path):
    return make_target(tmp_path / "proj", {"calc.py": CALC, "benchmark/test_calc.py": BENCH, "pyproject.toml": PYPROJECT})


def test_a_reply_with_extras_lands_only_the_hunk_that_earns(tmp_path):
    target = _target(tmp_path)
    # the fix; an equivalent rewrite of total() that also deletes its docstring; a stray print
    noisy = (FIX
             + sr("calc.py", '    """The sum of xs."""\n    result = 0\n    for x in xs:\n        result += x\n    return result',
                  "    return sum(xs)")
             + sr("calc.py", "def mul(a, b):\n    return a * b", "def mul(a, b):\n    print('multiplying')\n    return a * b"))
    replay = replay_file(tmp_path / "r.jsonl", [{"role": "coding", "content": noisy}, *reasoning_lines()])

    result = run_cli(improve_args(target, replay, tmp_path / "db.sqlite"), tmp_path / "home")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "dropped 2 part(s) that earned nothing" in result.stdout
    landed = git(target, "show", "ryx/improve:calc.py")
    assert landed == CALC.replace("return a - b", "return a + b")
    message = git(target, "log", "-1", "--format=%B", "ryx/improve")
    assert "Dropped (earned nothing): calc.py (-" in message and message.count("calc.py (-") == 2


def test_a_docstring_deleted_in_the_same_hunk_as_the_fix_is_refused_and_said_so(tmp_path):
    target = _target(tmp_path)
    doc_loss = sr("calc.py", '"""calc: a small arithmetic module."""\n\n\ndef add(a, b):\n    return a - b',
                  "def add(a, b):\n    return a + b")
    replay = replay_file(tmp_path / "r.jsonl", [{"role": "coding", "times": 1, "content": doc_loss},
                                                {"role": "coding", "content": FIX}, *reasoning_lines()])
    result = run_cli(improve_args(target, replay, tmp_path / "db.sqlite"), tmp_path / "home")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "attempt 1/3: failed: rejected: it deletes explanations the gain does not need" in result.stdout
    assert '"""calc: a small arithmetic module."""' in git(target, "show", "ryx/improve:calc.py")


def test_a_lint_finding_is_refused_and_the_next_prompt_carries_it(tmp_path):
    target = _target(tmp_path)
    sloppy = sr("calc.py", "def add(a, b):\n    return a - b", "def add(a, b):\n    doubled = a * 2\n    return a + b")
    replay = replay_file(tmp_path / "r.jsonl", [
        {"role": "coding", "times": 1, "content": sloppy},
        {"role": "coding", "match": "F841 Local variable `doubled` is assigned to but never used", "content": FIX},
        *reasoning_lines()])

    result = run_cli(improve_args(target, replay, tmp_path / "db.sqlite"), tmp_path / "home")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "attempt 1/3: failed: rejected: it adds lint findings" in result.stdout
    assert "attempt 2/3: improved" in result.stdout
    assert "doubled" not in git(target, "show", "ryx/improve:calc.py")


def test_a_wrong_fix_is_rejected_by_the_quick_check_without_the_full_run(tmp_path):
    target = _target(tmp_path)
    wrong = sr("calc.py", "def add(a, b):\n    return a - b", "def add(a, b):\n    return a * b")
    replay = replay_file(tmp_path / "r.jsonl", [{"role": "coding", "times": 1, "content": wrong},
                                                {"role": "coding", "content": FIX}, *reasoning_lines()])
    result = run_cli(improve_args(target, replay, tmp_path / "db.sqlite"), tmp_path / "home")
    assert result.returncode == 0, result.stdout + result.stderr
    assert ("attempt 1/3: failed: rejected: no benchmark test gained: benchmark/test_calc.py::test_add is still "
            "failed (quick check of 3 test(s); the full benchmark was not run)") in result.stdout
    assert "attempt 2/3: improved" in result.stdout


def test_ddmin_finds_the_one_part_needed_and_asks_few_questions():
    parts = list(range(16))
    reduced = ddmin(parts, lambda subset: 11 in subset)
    assert reduced.kept == [11] and len(reduced.dropped) == 15 and reduced.tests <= 12
    pair = ddmin(parts, lambda subset: {3, 12} <= set(subset))
    assert sorted(pair.kept) == [3, 12]
    assert ddmin(parts, lambda subset: len(subset) == 16).kept == parts  # nothing can go


def test_a_diff_splits_into_hunks_and_any_subset_joins_back(tmp_path):
    repo = make_target(tmp_path / "r", {"a.py": CALC, "b.txt": "x\n"})
    (repo / "a.py").write_text(CALC.replace("a - b", "a + b").replace("a * b", "b * a"))
    (repo / "new.py").write_text("NEW = 1\n")
    git(repo, "add", "-A")
    diff = git(repo, "diff", "--cached", "HEAD")
    parts = split_diff(diff)
    assert [p.path for p in parts] == ["a.py", "a.py", "new.py"]
    git(repo, "reset", "-q", "--hard")
    (tmp_path / "sub.diff").write_text(join_parts([parts[1], parts[2]]))
    git(repo, "apply", str(tmp_path / "sub.diff"))
    text = (repo / "a.py").read_text()
    assert "return a - b" in text and "return b * a" in text and (repo / "new.py").exists()
