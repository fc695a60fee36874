"""run_benchmark on real git repositories in tmp dirs, in real subprocesses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from procs import none_left, wait_for_process

from benchmark.runner import BenchmarkError, run_benchmark, scrubbed_env
from ryx.benchspec import BenchSpec


@pytest.fixture(autouse=True)
def _fast_pytest(monkeypatch: pytest.MonkeyPatch) -> None:
    # Installed pytest plugins (langsmith...) cost ~1 s per run; these targets need none.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


def _repo(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    for args in (["init", "-q"], ["config", "user.name", "T"], ["config", "user.email", "t@x"],
                 ["add", "-A"], ["commit", "-qm", "init"]):
        subprocess.run(["git", "-C", str(root), *args], check=True)
    return root


def _spec(**overrides: object) -> BenchSpec:
    values: dict[str, object] = {"paths": ("bench",), "test_timeout_s": 5.0,
                                 "run_timeout_s": 60.0, "memory_mb": 1024}
    return BenchSpec(**{**values, **overrides})  # type: ignore[arg-type]


CALC = {
    "calc.py": "def add(a, b):\n    return a - b\n\ndef mul(a, b):\n    return a * b\n",
    "bench/test_calc.py": """
        import pytest
        from calc import add, mul

        @pytest.mark.points(3, category="edit_success")
        def test_add():
            assert add(2, 2) == 4

        @pytest.mark.points(2, category="edit_success")
        def test_mul():
            assert mul(2, 3) == 6

        @pytest.mark.points(1, category="speed")
        def test_fast():
            assert True

        def test_not_in_benchmark():
            pass
        """,
}


def test_scorecard_totals_categories_and_output(tmp_path: Path) -> None:
    root = _repo(tmp_path, CALC)
    card = run_benchmark(root, _spec())
    assert (card.total, card.max_points) == (3, 6)
    assert card.to_json()["categories"] == {"edit_success": {"points": 2, "max": 5},
                                            "speed": {"points": 1, "max": 1}}
    assert card.tests["bench/test_calc.py::test_add"].outcome == "failed"
    assert "bench/test_calc.py::test_not_in_benchmark" not in card.tests
    assert "assert 0 == 4" in card.output
    assert len(card.tree) == 40 and len(card.benchmark_hash) == 64
    assert "output" not in card.to_json()


def test_uncommitted_changes_are_scored_and_change_the_tree_not_the_index(tmp_path: Path) -> None:
    root = _repo(tmp_path, CALC)
    index_before = (root / ".git" / "index").read_bytes()
    before = run_benchmark(root, _spec(), only=["bench/test_calc.py::test_add"])
    (root / "calc.py").write_text((root / "calc.py").read_text().replace("a - b", "a + b"))
    after = run_benchmark(root, _spec(), only=["bench/test_calc.py::test_add"])
    assert list(after.tests) == ["bench/test_calc.py::test_add"]
    assert (before.total, after.total) == (0, 3)
    assert before.tree != after.tree
    assert before.benchmark_hash == after.benchmark_hash
    assert (root / ".git" / "index").read_bytes() == index_before


def _marker(tmp_path: Path) -> str:
    return f"ryx-test-child-{tmp_path.name}"


def test_test_timeout_kills_the_test_and_its_child_process(tmp_path: Path) -> None:
    marker = _marker(tmp_path)
    root = _repo(tmp_path, {"bench/test_hang.py": f"""
        import subprocess, sys, time, pytest

        @pytest.mark.points(2, category="speed")
        def test_hangs():
            child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", {marker!r}])
            time.sleep(600)

        @pytest.mark.points(1, category="speed")
        def test_after():
            pass
        """})
    started = time.monotonic()
    card = run_benchmark(root, _spec(test_timeout_s=1.0))
    assert time.monotonic() - started < 15
    assert card.tests["bench/test_hang.py::test_hangs"].outcome == "timeout"
    assert card.tests["bench/test_hang.py::test_after"].outcome == "passed"
    assert none_left(marker)


def test_run_timeout_kills_the_process_group_and_scores_unfinished_as_timeout(
    tmp_path: Path,
) -> None:
    marker = _marker(tmp_path)
    root = _repo(tmp_path, {"bench/test_stuck.py": f"""
        import signal, subprocess, sys, time, pytest

        @pytest.mark.points(1, category="speed")
        def test_a_first():
            pass

        @pytest.mark.points(2, category="speed")
        def test_b_stuck():
            signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])  # defeat the test timeout
            child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", {marker!r}])
            time.sleep(600)

        @pytest.mark.points(4, category="speed")
        def test_c_never_reached():
            pass
        """})
    card = run_benchmark(root, _spec(test_timeout_s=1.0, run_timeout_s=3.0))
    outcomes = {tid.split("::")[1]: r.outcome for tid, r in card.tests.items()}
    assert outcomes == {"test_a_first": "passed", "test_b_stuck": "timeout",
                        "test_c_never_reached": "timeout"}
    assert (card.total, card.max_points) == (1, 7)
    assert "run_timeout_s=3.0" in card.output
    assert none_left(marker)


def test_a_target_whose_own_package_is_called_benchmark(tmp_path: Path) -> None:
    root = _repo(tmp_path, {
        "benchmark/__init__.py": "TARGET_MARK = 'the target, not Ryx'\n",
        "benchmark/test_own.py": """
            import pytest
            import benchmark

            @pytest.mark.points(5, category="edit_success")
            def test_imports_the_targets_package():
                assert benchmark.TARGET_MARK == "the target, not Ryx"

            @pytest.mark.points(1, category="edit_success")
            def test_fails():
                assert False
            """,
    })
    card = run_benchmark(root, _spec(paths=("benchmark",)))
    assert (card.total, card.max_points) == (5, 6)
    assert card.tests["benchmark/test_own.py::test_imports_the_targets_package"].earned == 5


def test_memory_cap_fails_the_greedy_test_and_the_run_survives(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"bench/test_mem.py": """
        import pytest

        @pytest.mark.points(3, category="speed")
        def test_greedy():
            block = bytearray(512 * 1024 * 1024)
            assert len(block)

        @pytest.mark.points(1, category="speed")
        def test_modest():
            assert len(bytearray(1024 * 1024)) == 1024 * 1024
        """})
    card = run_benchmark(root, _spec(memory_mb=256))
    assert card.tests["bench/test_mem.py::test_greedy"].outcome == "failed"
    assert card.tests["bench/test_mem.py::test_modest"].outcome == "passed"
    assert "MemoryError" in card.output


def test_the_run_sees_none_of_the_loops_environment_and_an_empty_home(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_API_TOKEN", "hunter2")
    monkeypatch.setenv("RYX_HARMLESS", "kept out too")
    home = os.environ.get("HOME", "/root")
    root = _repo(tmp_path, {"bench/test_env.py": f"""
        import os, pytest

        @pytest.mark.points(1, category="self_healing")
        def test_no_secrets():
            assert "MY_API_TOKEN" not in os.environ and "RYX_HARMLESS" not in os.environ
            assert os.environ["HOME"] != {home!r} and os.listdir(os.environ["HOME"]) == []
            assert os.environ["PYTHONDONTWRITEBYTECODE"] == "1"
            assert set(os.environ) <= {{"PATH", "HOME", "USER", "LOGNAME", "LANG", "TMPDIR", "PWD",
                                        "PYTHONDONTWRITEBYTECODE", "PYTEST_DISABLE_PLUGIN_AUTOLOAD", "PYTEST_VERSION",
                                        "PYTEST_CURRENT_TEST"}}, sorted(os.environ)
        """})
    card = run_benchmark(root, _spec())
    assert card.total == 1, card.output


def test_scrubbed_env_keeps_path_home_lang_and_drops_secret_names() -> None:
    env = scrubbed_env({"PATH": "/bin", "HOME": "/h", "LANG": "C", "GH_TOKEN": "x",
                        "OPENAI_API_KEY": "x", "DB_PASSWORD": "x", "KEYTIMEOUT": "1",
                        "PYTEST_ADDOPTS": "-x", "ANTHROPIC_BASE_URL": "x", "RYX_HOME": "x"})
    assert env == {"PATH": "/bin", "HOME": "/h", "LANG": "C", "KEYTIMEOUT": "1",
                   "PYTHONDONTWRITEBYTECODE": "1"}


def test_all_tests_mode_scores_every_test_one_point(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"tests/test_plain.py": "def test_a(): pass\ndef test_b(): 1/0\n"})
    card = run_benchmark(root, _spec(paths=()))
    assert card.to_json()["categories"] == {"tests/test_plain.py": {"points": 1, "max": 2}}


def test_collection_error_raises_with_output_and_a_command_to_reproduce(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"bench/test_broken.py": "import no_such_module_anywhere\n"})
    with pytest.raises(BenchmarkError) as caught:
        run_benchmark(root, _spec())
    message = str(caught.value)
    assert "no_such_module_anywhere" in message and str(root) in message
    assert "-m pytest bench -p no:cacheprovider -q" in message


def test_no_marked_tests_is_a_clear_error(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"bench/test_plain.py": "def test_a(): pass\n"})
    with pytest.raises(BenchmarkError, match=r"no points-marked tests were found under bench"):
        run_benchmark(root, _spec())


def test_a_root_that_is_not_a_directory_exits_3(tmp_path: Path) -> None:
    with pytest.raises(BenchmarkError) as caught:
        run_benchmark(tmp_path / "missing", _spec())
    assert caught.value.exit_code == 3


def test_command_mode_parses_and_checks_the_printed_scorecard(tmp_path: Path) -> None:
    good = {"tests": {"suite::t1": {"category": "speed", "points": 2, "outcome": "passed",
                                    "duration_s": 0.1},
                      "suite::t2": {"category": "speed", "points": 1, "outcome": "failed",
                                    "duration_s": 0.1}}}
    (tmp_path / "good.json").write_text(json.dumps(good))
    (tmp_path / "bad.json").write_text(json.dumps({"tests": {"t": {"category": "speed",
                                                                   "outcome": "passed"}}}))
    card = run_benchmark(tmp_path, _spec(command=f"{sys.executable} -c \"print('noise')\"; "
                                                 "cat good.json"))
    assert (card.total, card.max_points) == (2, 3) and card.tree
    with pytest.raises(BenchmarkError, match=r"tests\['t'\] has no `points` field"):
        run_benchmark(tmp_path, _spec(command="cat bad.json"))
    with pytest.raises(BenchmarkError, match="printed no scorecard JSON"):
        run_benchmark(tmp_path, _spec(command="echo hello"))


def test_a_missing_benchmark_path_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(BenchmarkError, match="benchmark path bench does not exist") as caught:
        run_benchmark(tmp_path, _spec())
    assert caught.value.exit_code == 2


def test_ctrl_c_in_the_parent_kills_the_whole_process_group(tmp_path: Path) -> None:
    marker = _marker(tmp_path)
    root = _repo(tmp_path, {"bench/test_hang.py": f"""
        import subprocess, sys, time, pytest

        @pytest.mark.points(1, category="speed")
        def test_hangs():
            child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", {marker!r}])
            time.sleep(600)
        """})

    def interrupt_once_the_child_runs() -> None:
        wait_for_process(marker)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt_once_the_child_runs, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        run_benchmark(root, _spec(test_timeout_s=60.0))
    assert none_left(marker)
