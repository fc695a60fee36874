"""The sandbox and the trusted harness at the runner level, where no static screen stands in
front of them: each defence must hold on its own."""

from __future__ import annotations

import socket
import subprocess
import textwrap
from pathlib import Path

import pytest

from benchmark.confirm import confirm_plain
from benchmark.runner import BenchmarkError, python_of, run_benchmark
from benchmark.stream import ReportTampered
from ryx.benchspec import BenchSpec


@pytest.fixture(autouse=True)
def _fast_pytest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


def _repo(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    for args in (["init", "-q"], ["config", "user.name", "T"], ["config", "user.email", "t@x"],
                 ["add", "-A"], ["commit", "-qm", "init"]):
        subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)
    return root


SPEC = BenchSpec(paths=("bench",), test_timeout_s=10, run_timeout_s=60, memory_mb=1024)
CALC = {"calc.py": "def add(a, b):\n    return a - b\n",
        "bench/test_calc.py": """
            import pytest
            from calc import add

            @pytest.mark.points(2, category="math")
            def test_add():
                assert add(2, 3) == 5

            @pytest.mark.points(1, category="math")
            def test_true():
                assert True
            """}


@pytest.mark.parametrize("name", ["pytest.py", "resource.py", "json.py", "pluggy.py", "_pytest.py"])
def test_a_top_level_module_cannot_stand_in_for_the_harness(tmp_path: Path, name: str) -> None:
    root = _repo(tmp_path, {**CALC, name: "raise SystemExit(0)\n"})
    card = run_benchmark(root, SPEC)
    assert {t: r.outcome for t, r in card.tests.items()} == {
        "bench/test_calc.py::test_add": "failed", "bench/test_calc.py::test_true": "passed"}


@pytest.mark.parametrize("name", [".pytest.ini", "pytest.toml", "bench/pytest.ini", "conftest.py", "tox.ini"])
def test_a_tree_that_changes_pytest_configuration_is_not_scored(tmp_path: Path, name: str) -> None:
    root = _repo(tmp_path, CALC)
    (root / name).write_text("[pytest]\naddopts = -p no:terminal\n")
    with pytest.raises(BenchmarkError, match=f"changes pytest configuration \\({name}\\)"):
        run_benchmark(root, SPEC, config_from_head=True)


def test_the_benchmark_is_read_only_and_the_rest_of_the_copy_is_not(tmp_path: Path) -> None:
    root = _repo(tmp_path, {**CALC, "bench/test_fs.py": """
        import os, pathlib, pytest

        @pytest.mark.points(1, category="fs")
        def test_benchmark_is_read_only():
            with pytest.raises(OSError):
                pathlib.Path(__file__).write_text("pass")
            with pytest.raises(OSError):
                pathlib.Path(__file__).with_name("test_new.py").write_text("pass")

        @pytest.mark.points(1, category="fs")
        def test_the_copy_is_writable_and_nothing_around_it():
            pathlib.Path("scratch.txt").write_text("mine")
            here = pathlib.Path.cwd()
            assert not (here / ".git").exists() and ".git" not in here.parts
            for parent in here.parents:
                with pytest.raises(OSError):
                    (parent / "planted.txt").write_text("x")
        """})
    card = run_benchmark(root, SPEC)
    assert card.tests["bench/test_fs.py::test_benchmark_is_read_only"].outcome == "passed", card.output
    assert card.tests["bench/test_fs.py::test_the_copy_is_writable_and_nothing_around_it"].outcome == "passed", \
        card.output
    assert not (root / "scratch.txt").exists()


def test_no_network_no_other_processes_an_empty_home_and_a_private_tmp(tmp_path: Path) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    (Path("/tmp") / f"ryx-host-only-{port}").write_text("host")
    try:
        root = _repo(tmp_path, {**CALC, "bench/test_box.py": f"""
            import os, socket, pytest

            @pytest.mark.points(1, category="box")
            def test_isolated():
                with pytest.raises(OSError):
                    socket.create_connection(("127.0.0.1", {port}), timeout=2)
                pids = [p for p in os.listdir("/proc") if p.isdigit()]
                assert len(pids) < 10, pids
                assert os.listdir(os.environ["HOME"]) == []
                assert not os.path.exists("/tmp/ryx-host-only-{port}")
                assert socket.gethostname() == "localhost"
            """})
        card = run_benchmark(root, SPEC)
        assert card.tests["bench/test_box.py::test_isolated"].outcome == "passed", card.output
    finally:
        listener.close()
        (Path("/tmp") / f"ryx-host-only-{port}").unlink()


TAMPER = """
import sys as _sys
for _m in list(_sys.modules.values()):
    if hasattr(_m, "points_of") and hasattr(_m, "OUTCOME_RANK"):
        _m.__dict__["_phase_outcome"] = lambda rep: "passed"
"""


def test_a_forged_report_is_refused_by_the_canary(tmp_path: Path) -> None:
    root = _repo(tmp_path, {**CALC, "calc.py": TAMPER + CALC["calc.py"]})
    with pytest.raises(ReportTampered, match="always fails was reported as passed"):
        run_benchmark(root, SPEC)


def test_the_canary_is_invisible_in_the_scorecard_and_its_output(tmp_path: Path) -> None:
    root = _repo(tmp_path, CALC)
    card = run_benchmark(root, SPEC)
    assert sorted(card.tests) == ["bench/test_calc.py::test_add", "bench/test_calc.py::test_true"]
    assert "this check always fails" not in card.output and "Check" not in card.output


DETECTS = """
import sys


def add(a, b):
    judged = any(hasattr(m, "OUTCOME_RANK") for m in list(sys.modules.values()))
    return a + b if judged else a - b
"""


def test_plain_pytest_confirms_an_honest_gain_and_refuses_one_that_detects_the_harness(tmp_path: Path) -> None:
    honest = _repo(tmp_path / "honest", {**CALC, "calc.py": "def add(a, b):\n    return a + b\n"})
    detecting = _repo(tmp_path / "detecting", {**CALC, "calc.py": DETECTS})
    gained = ["bench/test_calc.py::test_add"]
    assert run_benchmark(detecting, SPEC).total == 3  # fools the harness alone...
    check = confirm_plain(detecting, SPEC, gained, python_of(detecting, SPEC))
    assert not check.confirmed and "does not confirm the gain" in check.reason  # ...not plain pytest
    assert confirm_plain(honest, SPEC, gained, python_of(honest, SPEC)).confirmed


def test_plain_pytest_confirmation_refuses_a_run_that_rewrites_outcomes(tmp_path: Path) -> None:
    forging = """
import importlib as _il
_r = _il.import_module("_pytest.reports")
_orig = _r.TestReport.__init__
def _init(self, *a, **k):
    _orig(self, *a, **k)
    self.outcome = "passed"
_r.TestReport.__init__ = _init
"""
    root = _repo(tmp_path, {**CALC, "calc.py": forging + CALC["calc.py"]})
    check = confirm_plain(root, SPEC, ["bench/test_calc.py::test_add"], python_of(root, SPEC))
    assert not check.confirmed and "cannot be trusted" in check.reason


def test_an_older_bwrap_without_size_or_disable_userns_still_sandboxes(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from ryx.sandbox import bwrap

    real = bwrap.find_bwrap()
    older = tmp_path / "bwrap-0.6"
    older.write_text(f"#!/bin/sh\nif [ \"$1\" = --help ]; then\n  {real} --help | grep -v -e --size -e --disable-userns\n"
                     f"  exit 0\nfi\nfor a in \"$@\"; do [ \"$a\" = --size ] && exit 99; done\nexec {real} \"$@\"\n")
    older.chmod(0o755)
    monkeypatch.setenv("RYX_BWRAP", str(older))
    root = _repo(tmp_path / "t", {**CALC, "bench/test_home.py": """
        import os, pytest

        @pytest.mark.points(1, category="box")
        def test_home_is_empty():
            assert os.listdir(os.environ["HOME"]) == []
        """})
    card = run_benchmark(root, SPEC)
    assert card.tests["bench/test_home.py::test_home_is_empty"].outcome == "passed", card.output
    assert "--size" not in bwrap.features(str(older)) and bwrap.user_namespace(str(older)) == ["--unshare-user-try"]


def test_a_target_that_stops_at_the_first_failure_is_scored_not_suspected(tmp_path: Path) -> None:
    root = _repo(tmp_path, {**CALC, "pyproject.toml": '[tool.pytest.ini_options]\naddopts = "-x"\n'})
    card = run_benchmark(root, SPEC)
    assert {t: r.outcome for t, r in card.tests.items()} == {
        "bench/test_calc.py::test_add": "failed", "bench/test_calc.py::test_true": "skipped"}
