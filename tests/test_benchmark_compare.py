"""compare(): integrity rules, each tried by a candidate; protected_violations per kind."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest

from benchmark.compare import compare
from benchmark.integrity import benchmark_files_hash
from benchmark.protect import glob_match, protected_violations
from benchmark.runner import run_benchmark
from benchmark.scorecard import Scorecard, TestResult
from ryx.benchspec import BenchSpec

A, B, C, NEW = "bench/test_a.py::test_a", "bench/test_b.py::test_b", "bench/test_c.py::test_c", \
    "bench/test_new.py::test_free"


def _card(outcomes: dict[str, str], bench_hash: str = "h1", points: int = 2) -> Scorecard:
    tests = {tid: TestResult("edit_success", points, outcome) for tid, outcome in outcomes.items()}
    return Scorecard(tests=tests, tree="t", benchmark_hash=bench_hash)


BASELINE = _card({A: "passed", B: "failed", C: "passed"})


def test_a_gain_without_regression_is_an_improvement() -> None:
    result = compare(BASELINE, _card({A: "passed", B: "passed", C: "passed"}))
    assert result.improved
    assert (result.before_points, result.after_points, result.gained) == (4, 6, (B,))
    assert result.reason == f"4 -> 6 points; gained {B}"


def test_a_regression_is_refused_even_with_a_larger_gain() -> None:
    before = Scorecard(tests={A: TestResult("x", 1, "passed"), B: TestResult("x", 5, "failed")})
    after = Scorecard(tests={A: TestResult("x", 1, "failed"), B: TestResult("x", 5, "passed")})
    result = compare(before, after)
    assert not result.improved and result.regressions == (A,) and result.gained == (B,)
    assert result.reason == f"rejected: {A} passed before and fails now (1 -> 5 points)"


@pytest.mark.parametrize("outcome, words", [
    ("skipped", "is skipped now"), ("xfailed", "is xfailed now"), ("timeout", "times out now"),
    ("error", "errors now"),
])
def test_a_baseline_test_skipped_or_xfailed_afterwards_counts_as_failed(
    outcome: str, words: str
) -> None:
    result = compare(BASELINE, _card({A: outcome, B: "passed", C: "passed"}))
    assert not result.improved and result.regressions == (A,)
    assert words in result.reason


def test_a_removed_or_deselected_test_counts_as_failed_and_is_listed_missing() -> None:
    result = compare(BASELINE, _card({B: "passed", C: "passed"}))
    assert not result.improved
    assert result.missing == (A,) and result.regressions == (A,)
    assert f"{A} passed before and is missing now" in result.reason


def test_new_always_passing_tests_earn_nothing() -> None:
    after = _card({A: "passed", B: "failed", C: "passed", NEW: "passed"}, points=50)
    result = compare(BASELINE, after)
    assert not result.improved
    assert result.after_points == 4 and result.proposed == (NEW,)
    assert result.reason == ("rejected: 4 -> 4 points, no benchmark test gained; "
                             f"new tests earn nothing: {NEW}")


def test_points_are_the_baselines_even_if_the_candidate_changed_a_marker() -> None:
    after = _card({A: "passed", B: "passed", C: "passed"}, points=100)
    assert compare(BASELINE, after).after_points == 6


def test_a_changed_benchmark_hash_is_refused() -> None:
    result = compare(BASELINE, _card({A: "passed", B: "passed", C: "passed"}, bench_hash="h2"))
    assert not result.improved and "benchmark files changed" in result.reason


def test_quarantined_flaky_tests_are_left_out_of_both_sides() -> None:
    result = compare(BASELINE, _card({A: "failed", B: "passed", C: "passed"}), quarantined={A})
    assert result.improved and (result.before_points, result.after_points) == (2, 4)


def _git_repo(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))
    for args in (["init", "-q"], ["config", "user.name", "T"], ["config", "user.email", "t@x"],
                 ["add", "-A"], ["commit", "-qm", "init"]):
        subprocess.run(["git", "-C", str(root), *args], check=True)
    return root


def test_end_to_end_a_candidate_that_skips_a_test_and_adds_a_free_one_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    spec = BenchSpec(paths=("bench",), test_timeout_s=10, run_timeout_s=60)
    root = _git_repo(tmp_path, {
        "bench/test_a.py": "import pytest\n@pytest.mark.points(2, category='x')\n"
                           "def test_a(): pass\n",
        "bench/test_b.py": "import pytest\n@pytest.mark.points(3, category='x')\n"
                           "def test_b(): assert False\n",
    })
    before = run_benchmark(root, spec)
    (root / "bench/test_a.py").write_text(
        "import pytest\n@pytest.mark.skip\n@pytest.mark.points(2, category='x')\n"
        "def test_a(): pass\n")
    (root / "bench/test_free.py").write_text(
        "import pytest\n@pytest.mark.points(9, category='x')\ndef test_free(): pass\n")
    after = run_benchmark(root, spec)
    result = compare(before, after)
    assert not result.improved
    assert result.proposed == ("bench/test_free.py::test_free",)
    assert "rejected: the benchmark files changed" in result.reason
    assert protected_violations(["bench/test_a.py", "bench/test_free.py"], spec) == [
        "bench/test_a.py: part of the benchmark", "bench/test_free.py: part of the benchmark"]


SPEC = BenchSpec(paths=("benchmark/suite",), protected=("graph/**", "ryx.toml"))


@pytest.mark.parametrize("path, reason", [
    ("benchmark/suite/test_edit.py", "part of the benchmark"),
    ("benchmark/suite", "part of the benchmark"),
    ("conftest.py", "conftest.py changes what pytest collects"),
    ("skills/edit/conftest.py", "conftest.py changes what pytest collects"),
    ("pytest.ini", "pytest configuration"),
    ("tox.ini", "pytest configuration"),
    ("setup.cfg", "pytest configuration"),
    ("pyproject.toml", "[tool.pytest] or [tool.ryx] section"),
    ("sitecustomize.py", "runs at every interpreter start"),
    ("lib/usercustomize.py", "runs at every interpreter start"),
    ("site-packages/evil.pth", ".pth files run code"),
    (".pytest.ini", "pytest configuration"),
    ("pytest.toml", "pytest configuration"),
    ("skills/pytest.ini", "pytest configuration"),
    ("skills/tox.ini", "pytest configuration"),
    ("skills/pyproject.toml", "[tool.pytest] or [tool.ryx] section"),
    ("skills/__pycache__/engine.cpython-311.pyc", "bytecode stands in for the source"),
    ("skills/engine.pyc", "bytecode stands in for the source"),
    ("graph/builder.py", "protected by the pattern 'graph/**'"),
    ("ryx.toml", "protected by the pattern 'ryx.toml'"),
    ("../outside.py", "outside the target"),
    ("/etc/passwd", "outside the target"),
])
def test_each_protected_kind_is_reported(path: str, reason: str) -> None:
    violations = protected_violations([path, "skills/edit/engine.py"], SPEC)
    assert len(violations) == 1 and violations[0].startswith(f"{path}: ")
    assert reason in violations[0]


PYPROJECT = """
[project]
name = "t"
version = "{version}"

[tool.pytest.ini_options]
addopts = "{addopts}"
"""


def test_pyproject_passes_when_only_non_pytest_sections_changed() -> None:
    before = PYPROJECT.format(version="1", addopts="-q")
    bump = PYPROJECT.format(version="2", addopts="-q")
    sneaky = PYPROJECT.format(version="1", addopts="-q -k not_hard")
    assert protected_violations(["pyproject.toml"], SPEC, texts=lambda p: (before, bump)) == []
    assert protected_violations(["pyproject.toml"], SPEC, texts=lambda p: (before, sneaky))
    assert protected_violations(["pyproject.toml"], SPEC, texts=lambda p: (before, "[x"))


def test_all_tests_mode_protects_every_test_file() -> None:
    spec = BenchSpec(paths=())
    assert protected_violations(["tests/test_x.py", "pkg/util_test.py", "pkg/util.py"], spec) == [
        "tests/test_x.py: part of the benchmark", "pkg/util_test.py: part of the benchmark"]


def test_glob_match_segments() -> None:
    assert glob_match("graph/a/b.py", "graph/**") and glob_match("graph/x.py", "graph/**")
    assert glob_match("a/b/conftest.py", "**/conftest.py") and glob_match("conftest.py",
                                                                           "**/conftest.py")
    assert not glob_match("graphs/x.py", "graph/**")
    assert glob_match("docs/x/y.md", "docs") and not glob_match("a/b.py", "*.py")


def test_benchmark_files_hash_follows_the_benchmark_files_only(tmp_path: Path) -> None:
    spec = BenchSpec(paths=("bench",))
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "test_a.py").write_text("x = 1\n")
    (tmp_path / "src.py").write_text("y = 1\n")
    first = benchmark_files_hash(tmp_path, spec)
    (tmp_path / "src.py").write_text("y = 2\n")
    assert benchmark_files_hash(tmp_path, spec) == first
    (tmp_path / "conftest.py").write_text("")
    second = benchmark_files_hash(tmp_path, spec)
    assert second != first
    (tmp_path / "bench" / "test_a.py").write_text("x = 2\n")
    assert benchmark_files_hash(tmp_path, spec) != second


def test_all_tests_mode_protects_helpers_in_test_folders():
    from benchmark.protect import protected_violations
    from ryx.benchspec import BenchSpec

    spec = BenchSpec(paths=())
    assert protected_violations(["test/common.py"], spec)
    assert protected_violations(["pkg/tests/helpers/data.json"], spec)
    assert protected_violations(["src/test_things.py"], spec)
    assert not protected_violations(["src/testament.py"], spec)
