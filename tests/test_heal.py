"""skills.heal on real pytest output (run in a tmp dir) and on real git repos."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from skills.heal import Failure, GitCleanupError, clean_git_leftovers, feedback_for_model, summarize_pytest_output

FAILING_TESTS = '''
import pytest

def helper(x):
    return inner(x)

def inner(x):
    raise KeyError(x)

def test_dict():
    assert {"a": 1, "b": 2} == {"a": 1, "b": 3}

def test_deep():
    helper("missing")

@pytest.mark.parametrize("n,expected", [(1, 2), (2, 5), ("a[1]", 3)])
def test_double(n, expected):
    assert n * 2 == expected

class TestGroup:
    def test_method(self):
        assert [1, 2, 3] == [1, 2, 4]
'''


def run_pytest(directory: Path, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=directory, capture_output=True, text=True, timeout=60,
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("proj")
    (root / "test_calc.py").write_text(FAILING_TESTS)
    (root / "test_broken.py").write_text("def test_x(:\n    pass\n")
    (root / "test_missing.py").write_text("import nosuchmodule_ryx\n\ndef test_y():\n    pass\n")
    return root


@pytest.mark.parametrize("flags", [["-q"], ["-q", "-rA", "--tb=short"], ["-v"], ["-q", "--tb=line"]])
def test_failed_tests_read_in_every_format(project: Path, flags: list[str]) -> None:
    failures = summarize_pytest_output(run_pytest(project, *flags, "test_calc.py"))
    by_id = {f.test_id: f for f in failures}
    assert sorted(by_id) == [
        "test_calc.py::TestGroup::test_method",
        "test_calc.py::test_deep",
        "test_calc.py::test_dict",
        "test_calc.py::test_double[2-5]",
        "test_calc.py::test_double[a[1]-3]",
    ]
    deep = by_id["test_calc.py::test_deep"]
    assert (deep.kind, deep.message, deep.line) == ("exception", "KeyError: 'missing'", 8)
    assert deep.file is not None and deep.file.endswith("test_calc.py")
    assert by_id["test_calc.py::test_dict"].kind == "assertion"
    assert by_id["test_calc.py::test_dict"].message.startswith("AssertionError: assert {'a': 1, 'b': 2}")


def test_traceback_excerpt_keeps_every_project_frame(project: Path) -> None:
    failures = summarize_pytest_output(run_pytest(project, "-q", "--tb=short", "test_calc.py"))
    deep = next(f for f in failures if f.test_id.endswith("test_deep"))
    assert "helper(\"missing\")" in deep.excerpt
    assert "return inner(x)" in deep.excerpt
    assert deep.excerpt.splitlines()[-1] == "KeyError: 'missing'"


def test_collection_errors_are_syntax_and_import(project: Path) -> None:
    failures = summarize_pytest_output(run_pytest(project, "-q"))
    by_id = {f.test_id: f for f in failures}
    assert set(by_id) == {"test_broken.py", "test_missing.py"}
    broken, missing = by_id["test_broken.py"], by_id["test_missing.py"]
    assert (broken.kind, broken.message, broken.line) == ("syntax", "SyntaxError: invalid syntax", 1)
    assert broken.file is not None and broken.file.endswith("test_broken.py")
    assert "def test_x(:" in broken.excerpt and "_pytest" not in broken.excerpt
    assert missing.kind == "import" and "nosuchmodule_ryx" in missing.message
    assert (missing.file, missing.line) == ("test_missing.py", 1)


def test_collection_error_that_is_not_syntax_or_import(tmp_path: Path) -> None:
    (tmp_path / "test_mod.py").write_text("VALUE = undefined_name\n\ndef test_z():\n    pass\n")
    [failure] = summarize_pytest_output(run_pytest(tmp_path, "-q"))
    assert failure.kind == "collection"
    assert failure.message == "NameError: name 'undefined_name' is not defined"


def test_usage_error_is_reported(tmp_path: Path) -> None:
    failures = summarize_pytest_output(run_pytest(tmp_path, "-q", "no_such_file.py"))
    assert [(f.test_id, f.kind) for f in failures] == [("<pytest>", "collection")]
    assert "no_such_file.py" in failures[0].message


def test_excerpt_is_clipped_but_keeps_the_key_line(tmp_path: Path) -> None:
    body = "def test_big():\n    data = list(range(3000))\n    assert data == data[:-1] + [0]\n"
    (tmp_path / "test_big.py").write_text(body)
    output = run_pytest(tmp_path, "-vv")
    assert len(output) > 5000
    [failure] = summarize_pytest_output(output, limit_chars=600)
    assert len(failure.excerpt) <= 600
    assert failure.message.startswith("assert [0, 1, 2")
    assert failure.message[:60] in failure.excerpt
    assert "At index 2999 diff: 2999 != 0" in failure.excerpt
    assert "lines cut]" in failure.excerpt


def test_no_failures_gives_empty_list(tmp_path: Path) -> None:
    (tmp_path / "test_ok.py").write_text("def test_ok():\n    assert True\n")
    assert summarize_pytest_output(run_pytest(tmp_path, "-q", "-rA")) == []
    assert summarize_pytest_output("") == []


def test_feedback_puts_blockers_first_and_deduplicates(project: Path) -> None:
    failures = summarize_pytest_output(run_pytest(project, "-q", "--tb=short", "--continue-on-collection-errors"))
    text = feedback_for_model(failures, limit_chars=5000)
    assert text.index("[syntax]") < text.index("[import]") < text.index("[exception]") < text.index("[assertion]")
    assert text.count("test_double[") == 2  # grouped: one heading, one "same failure in 1 more"
    assert "same failure in 1 more: test_calc.py::test_double[a[1]-3]" in text


def test_feedback_truncates_with_a_note() -> None:
    failures = [
        Failure(f"test_m.py::test_{i}", "assertion", f"AssertionError: assert {i} == -1", "test_m.py", 10 + i,
                "\n".join(f"E   line {j} of a long diff" for j in range(30)) + f"\nAssertionError: assert {i} == -1")
        for i in range(40)
    ]
    text = feedback_for_model(failures, limit_chars=1500)
    assert len(text) <= 1500
    assert "AssertionError: assert 0 == -1" in text
    assert "[truncated:" in text and "more failing not shown" in text


def test_feedback_without_failures_says_so() -> None:
    assert feedback_for_model([]) == "The test run reported no failures to fix."


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Ryx Test")
    git(root, "config", "user.email", "ryx@example.com")
    (root / "a.txt").write_text("a\n")
    git(root, "add", "a.txt")
    git(root, "commit", "-q", "-m", "init")
    return root


def age(path: Path, seconds: float) -> None:
    old = time.time() - seconds
    os.utime(path, (old, old))


def test_clean_prunes_unlocks_and_clears_stale_lock(repo: Path, tmp_path: Path) -> None:
    gone, locked_gone, live = tmp_path / "gone", tmp_path / "locked_gone", tmp_path / "live"
    for path, branch in ((gone, "b1"), (locked_gone, "b2"), (live, "b3")):
        git(repo, "worktree", "add", "-q", "-b", branch, str(path))
    git(repo, "worktree", "lock", "--reason", "crashed run", str(locked_gone))
    subprocess.run(["rm", "-rf", str(gone), str(locked_gone)], check=True)
    lock = repo / ".git" / "worktrees" / "live" / "index.lock"
    lock.write_text("")
    age(lock, 3600)
    done = clean_git_leftovers(repo)
    assert any("unlocked worktree" in d and "locked_gone" in d for d in done)
    assert any(d.startswith("pruned:") and "gone" in d for d in done)
    assert f"removed stale lock {lock}" in done
    listing = git(repo, "worktree", "list", "--porcelain")
    assert str(live) in listing and str(gone) not in listing and str(locked_gone) not in listing
    assert not lock.exists()
    assert clean_git_leftovers(repo) == []


def test_fresh_or_held_lock_and_foreign_locked_worktree_are_kept(repo: Path, tmp_path: Path) -> None:
    theirs = tmp_path / "theirs"
    git(repo, "worktree", "add", "-q", "-b", "feature", str(theirs))
    git(repo, "worktree", "lock", str(theirs))
    fresh = repo / ".git" / "worktrees" / "theirs" / "index.lock"
    fresh.write_text("")
    assert clean_git_leftovers(repo) == []
    assert fresh.exists() and "\nlocked" in git(repo, "worktree", "list", "--porcelain")
    age(fresh, 3600)
    with fresh.open("a"):  # a process holding the lock open
        assert clean_git_leftovers(repo) == []
    assert fresh.exists()


def test_ryx_worktree_is_unlocked_even_when_present(repo: Path) -> None:
    ours = repo / ".git" / "ryx" / "worktree"
    git(repo, "worktree", "add", "-q", "-b", "ryx/improve", str(ours))
    git(repo, "worktree", "lock", str(ours))
    done = clean_git_leftovers(repo)
    assert done == [f"unlocked worktree {ours.resolve()} (made by Ryx)"] or done == [f"unlocked worktree {ours} (made by Ryx)"]
    assert "\nlocked" not in git(repo, "worktree", "list", "--porcelain")


def test_main_index_lock_is_never_removed(repo: Path, tmp_path: Path) -> None:
    main_lock = repo / ".git" / "index.lock"
    main_lock.write_text("")
    age(main_lock, 86400)
    git(repo, "worktree", "add", "-q", "-b", "w", str(tmp_path / "w"))
    worktree_lock = repo / ".git" / "worktrees" / "w" / "index.lock"
    worktree_lock.write_text("")
    age(worktree_lock, 86400)
    done = clean_git_leftovers(repo, stale_after_s=0)
    assert main_lock.exists()
    assert not worktree_lock.exists()
    assert all(str(main_lock) not in d for d in done)


def test_not_a_repo_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(GitCleanupError, match="pass the root of a git repository"):
        clean_git_leftovers(tmp_path)


def test_captured_log_lines_are_not_failures(tmp_path: Path) -> None:
    (tmp_path / "test_log.py").write_text(
        "import logging\n\n\ndef test_pay():\n"
        "    logging.getLogger('pay').error('FAILED test_x.py::fake - not a test')\n"
        "    print('ERROR: not a usage error')\n"
        "    assert 'declined' == 'paid'\n"
    )
    failures = summarize_pytest_output(run_pytest(tmp_path, "-q", "-rA"))
    assert [(f.test_id, f.kind) for f in failures] == [("test_log.py::test_pay", "assertion")]


def test_fixture_error_at_setup_gets_the_full_id(tmp_path: Path) -> None:
    (tmp_path / "test_fx.py").write_text(
        "import pytest\n\n\n@pytest.fixture\ndef db():\n    raise RuntimeError('database is down')\n\n\n"
        "def test_query(db):\n    pass\n"
    )
    [failure] = summarize_pytest_output(run_pytest(tmp_path, "-q"))
    assert (failure.test_id, failure.kind, failure.message) == (
        "test_fx.py::test_query", "exception", "RuntimeError: database is down")
    assert (failure.file, failure.line) == ("test_fx.py", 6)


def test_clip_lines_keeps_key_and_marks_gaps() -> None:
    from skills.heal.clip import clip_lines

    lines = [f"noise {i}" for i in range(200)] + ["KeyError: 'sku'"] + [f"tail {i}" for i in range(200)]
    text = clip_lines(lines, "KeyError: 'sku'", 300)
    assert len(text) <= 300
    assert "KeyError: 'sku'" in text and "lines cut]" in text
