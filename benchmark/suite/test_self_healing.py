"""Self-healing: reading real pytest failures back to the model, and recovering git state.

Every case runs real pytest in a tmp project (or builds a real git repo) and checks what
`skills.heal` makes of it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from skills.heal import clean_git_leftovers, feedback_for_model, summarize_pytest_output

points = pytest.mark.points(1, category="self_healing")


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def pytest_output(root: Path, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=root, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )
    return result.stdout + result.stderr


SHOP = {
    "shop/__init__.py": "",
    "shop/prices.py": (
        "RATES = {'standard': 0.2, 'reduced': 0.05}\n\n\n"
        "def tax(amount, rate_name):\n"
        "    rate = RATES[rate_name]\n"
        "    return round(amount * rate, 2)\n"
    ),
    "shop/cart.py": (
        "from shop.prices import tax\n\n\n"
        "def total(lines, rate_name='standard'):\n"
        "    net = sum(price * qty for price, qty in lines)\n"
        "    return net + tax(net, rate_name)\n"
    ),
    "tests/test_cart.py": (
        "from shop.cart import total\n\n\n"
        "def test_total_standard():\n"
        "    assert total([(10.0, 2)]) == 24.0\n\n\n"
        "def test_total_zero_rate():\n"
        "    assert total([(10.0, 1)], 'zero') == 10.0\n\n\n"
        "def test_summary():\n"
        "    got = {'items': 2, 'net': 20.0, 'tax': 4.0}\n"
        "    assert got == {'items': 2, 'net': 20.0, 'tax': 4.5}\n"
    ),
}


@points
def test_assertion_diff_is_read(tmp_path: Path) -> None:
    write(tmp_path, SHOP)
    failures = summarize_pytest_output(pytest_output(tmp_path, "-q", "tests/test_cart.py::test_summary"))
    assert [f.test_id for f in failures] == ["tests/test_cart.py::test_summary"]
    failure = failures[0]
    assert failure.kind == "assertion"
    assert failure.message.startswith("AssertionError: assert {")
    assert (failure.file, failure.line) == ("tests/test_cart.py", 14)
    assert "{'tax': 4.0} != {'tax': 4.5}" in failure.excerpt


@points
def test_exception_through_several_frames_points_at_the_raise(tmp_path: Path) -> None:
    write(tmp_path, SHOP)
    output = pytest_output(tmp_path, "-q", "--tb=short", "tests/test_cart.py::test_total_zero_rate")
    [failure] = summarize_pytest_output(output)
    assert failure.kind == "exception"
    assert failure.message == "KeyError: 'zero'"
    assert (failure.file, failure.line) == ("shop/prices.py", 5)
    for frame in ("tests/test_cart.py:9", "shop/cart.py:6", "shop/prices.py:5"):
        assert frame in failure.excerpt


@points
def test_syntax_error_in_an_imported_module(tmp_path: Path) -> None:
    files = dict(SHOP)
    files["shop/prices.py"] = SHOP["shop/prices.py"].replace("def tax(amount, rate_name):", "def tax(amount, rate_name)")
    write(tmp_path, files)
    [failure] = summarize_pytest_output(pytest_output(tmp_path, "-q"))
    assert failure.test_id == "tests/test_cart.py"
    assert failure.kind == "syntax"
    assert failure.file is not None and failure.file.endswith("shop/prices.py")
    assert failure.line == 4
    assert "def tax(amount, rate_name)" in failure.excerpt


@points
def test_missing_module_is_an_import_failure(tmp_path: Path) -> None:
    files = dict(SHOP)
    files["shop/cart.py"] = "from shop.discounts import apply\n" + SHOP["shop/cart.py"]
    write(tmp_path, files)
    [failure] = summarize_pytest_output(pytest_output(tmp_path, "-q"))
    assert failure.kind == "import"
    assert failure.message == "ModuleNotFoundError: No module named 'shop.discounts'"
    assert (failure.file, failure.line) == ("shop/cart.py", 1)


@points
def test_parametrized_ids_with_brackets_and_dashes(tmp_path: Path) -> None:
    write(tmp_path, {"test_ids.py": (
        "import pytest\n\n\n"
        "@pytest.mark.parametrize('text', ['a[0]', 'x - y', '[nested [list]]', 'ok'])\n"
        "def test_upper(text):\n"
        "    assert text == 'ok'\n"
    )})
    failures = summarize_pytest_output(pytest_output(tmp_path, "-q", "-rA"))
    assert [f.test_id for f in failures] == [
        "test_ids.py::test_upper[a[0]]",
        "test_ids.py::test_upper[x - y]",
        "test_ids.py::test_upper[[nested [list]]]",
    ]
    assert all(f.kind == "assertion" and f.line == 6 for f in failures)


@points
def test_captured_logs_are_not_mistaken_for_failures(tmp_path: Path) -> None:
    write(tmp_path, {"test_pay.py": (
        "import logging\n\n\n"
        "def test_pay():\n"
        "    logging.getLogger('pay').error('card declined for order 7')\n"
        "    print('ERROR retrying payment')\n"
        "    assert 'declined' == 'paid'\n\n\n"
        "def test_ok():\n"
        "    logging.getLogger('pay').error('FAILED test_pay.py::fake - not a test')\n"
    )})
    failures = summarize_pytest_output(pytest_output(tmp_path, "-q", "-rA"))
    assert [(f.test_id, f.kind) for f in failures] == [("test_pay.py::test_pay", "assertion")]


@points
def test_timeout_of_a_subprocess_is_a_timeout(tmp_path: Path) -> None:
    write(tmp_path, {"test_slow.py": (
        "import subprocess, sys\n\n\n"
        "def test_worker_finishes():\n"
        "    subprocess.run([sys.executable, '-c', 'import time; time.sleep(5)'], timeout=0.2)\n"
    )})
    [failure] = summarize_pytest_output(pytest_output(tmp_path, "-q", "--tb=short"))
    assert failure.kind == "timeout"
    assert (failure.file, failure.line) == ("test_slow.py", 5)


@points
def test_long_output_is_truncated_keeping_the_key_lines(tmp_path: Path) -> None:
    write(tmp_path, {"test_big.py": (
        "import pytest\n\n\n"
        "def test_rows():\n"
        "    rows = [f'row {i}' for i in range(2000)]\n"
        "    print('\\n'.join(rows))\n"
        "    assert rows == rows[:1500] + ['row X'] + rows[1501:]\n\n\n"
        "@pytest.mark.parametrize('n', range(30))\n"
        "def test_many(n):\n"
        "    assert n < 0, f'negative expected, got {n}'\n"
    )})
    output = pytest_output(tmp_path, "-vv", "-rA")
    assert len(output) > 50_000
    failures = summarize_pytest_output(output)
    text = feedback_for_model(failures, limit_chars=1500)
    assert len(text) <= 1500
    assert "test_big.py::test_rows" in text
    assert "At index 1500 diff: 'row 1500' != 'row X'" in text
    assert "negative expected, got 0" in text
    assert "same failure in 29 more" in text


@points
def test_blocking_failures_come_first(tmp_path: Path) -> None:
    files = dict(SHOP)
    files["tests/test_report.py"] = "from shop.report import render\n\n\ndef test_render():\n    assert render()\n"
    write(tmp_path, files)
    output = pytest_output(tmp_path, "-q", "--continue-on-collection-errors")
    text = feedback_for_model(summarize_pytest_output(output))
    first = text.splitlines()[1]
    assert first.startswith("1. tests/test_report.py [import]")
    assert text.index("[import]") < text.index("[exception]") < text.index("[assertion]")


@points
def test_native_tracebacks_are_read(tmp_path: Path) -> None:
    write(tmp_path, SHOP)
    output = pytest_output(tmp_path, "-q", "--tb=native", "tests/test_cart.py::test_total_zero_rate")
    [failure] = summarize_pytest_output(output)
    assert failure.message == "KeyError: 'zero'"
    assert failure.file is not None and failure.file.endswith("shop/prices.py")
    assert "_pytest" not in failure.excerpt and "pluggy" not in failure.excerpt


@points
def test_doctest_failure_is_one_assertion(tmp_path: Path) -> None:
    write(tmp_path, {"mathx.py": 'def add(a, b):\n    """\n    >>> add(2, 2)\n    4\n    """\n    return a - b\n'})
    failures = summarize_pytest_output(pytest_output(tmp_path, "-q", "--doctest-modules"))
    assert [(f.test_id, f.kind) for f in failures] == [("mathx.py::mathx.add", "assertion")]
    assert "Expected:" in failures[0].excerpt and "Got:" in failures[0].excerpt


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def make_repo(root: Path) -> Path:
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Ryx Bench")
    git(root, "config", "user.email", "bench@ryx.invalid")
    write(root, SHOP)
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "shop")
    return root


def make_old(path: Path) -> None:
    old = time.time() - 3600
    os.utime(path, (old, old))


@points
def test_worktree_whose_directory_was_deleted_is_pruned(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    git(repo, "worktree", "add", "-q", "-b", "ryx/improve", str(tmp_path / "wt"))
    shutil.rmtree(tmp_path / "wt")
    clean_git_leftovers(repo)
    assert str(tmp_path / "wt") not in git(repo, "worktree", "list")
    git(repo, "worktree", "add", "-q", str(tmp_path / "wt"), "ryx/improve")  # reusable at once


@points
def test_locked_worktree_of_a_crashed_run_is_recovered(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    gone = tmp_path / "gone"
    git(repo, "worktree", "add", "-q", "-b", "ryx/try-1", str(gone))
    git(repo, "worktree", "lock", "--reason", "candidate being scored", str(gone))
    shutil.rmtree(gone)
    ours = repo / ".git" / "ryx" / "worktree"
    git(repo, "worktree", "add", "-q", "-b", "ryx/improve", str(ours))
    git(repo, "worktree", "lock", str(ours))
    clean_git_leftovers(repo)
    listing = git(repo, "worktree", "list", "--porcelain")
    assert str(gone) not in listing
    assert str(ours) in listing and "\nlocked" not in listing
    git(repo, "worktree", "remove", "--force", str(ours))  # possible only once unlocked


@points
def test_stale_worktree_index_lock_removed_main_lock_kept(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    worktree = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", "-b", "ryx/improve", str(worktree))
    stale = repo / ".git" / "worktrees" / "wt" / "index.lock"
    main = repo / ".git" / "index.lock"
    for lock in (stale, main):
        lock.write_text("")
        make_old(lock)
    clean_git_leftovers(repo)
    assert main.exists() and not stale.exists()
    (worktree / "shop" / "new.py").write_text("X = 1\n")
    git(worktree, "add", "shop/new.py")  # the worktree's index is usable again


@points
def test_lock_held_by_a_running_process_is_kept(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    git(repo, "worktree", "add", "-q", "-b", "ryx/improve", str(tmp_path / "wt"))
    lock = repo / ".git" / "worktrees" / "wt" / "index.lock"
    lock.write_text("")
    make_old(lock)
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import sys, time; f = open({str(lock)!r}, 'a'); print('ready', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        clean_git_leftovers(repo)
        assert lock.exists()
    finally:
        holder.kill()
        holder.wait()
