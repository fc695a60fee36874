"""Speed of Ryx's skills, scored relative to a calibration loop timed in the same run.

Each case passes when the median time of the operation is at most K times the median time
of a fixed pure-Python loop, so the score does not depend on how fast the machine is.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from skills.edit import apply_edits, parse_reply
from skills.heal import summarize_pytest_output
from skills.search import CodeIndex

points = pytest.mark.points(1, category="speed")
REPEAT = 5


def timed(operation: Callable[[], object], setup: Callable[[], object] | None = None) -> float:
    """Median seconds of `operation` over REPEAT runs, `setup` run untimed before each."""
    samples = []
    for _ in range(REPEAT):
        if setup is not None:
            setup()
        start = time.perf_counter()
        operation()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _calibration_loop() -> int:
    total = 0
    for i in range(300_000):
        total += (i * i) % 7
    return total


@pytest.fixture(scope="module")
def unit() -> float:
    """Seconds of the calibration loop on this machine, now."""
    return timed(_calibration_loop)


def assert_within(seconds: float, unit: float, k: float) -> None:
    ratio = seconds / unit
    assert ratio <= k, f"took {seconds * 1000:.1f} ms = {ratio:.2f} x calibration; allowed {k} x"


def module_source(index: int, functions: int = 30) -> str:
    """A plausible Python module: functions with a docstring, a loop and a branch."""
    parts = [f'"""Module {index}: records, totals and checks."""\n\nimport math\n']
    for f in range(functions):
        parts.append(
            f"\n\ndef compute_{index}_{f}(values, limit={f + 1}):\n"
            f'    """Total of values below {f + 1}, scaled by the index {index}."""\n'
            f"    total = 0\n"
            f"    for value in values:\n"
            f"        if value < limit:\n"
            f"            total += value * {index}\n"
            f"        else:\n"
            f"            total -= math.sqrt(abs(value))\n"
            f"    return round(total, {f % 4})\n"
        )
    return "".join(parts)


def block(path: str, search: str, replace: str) -> str:
    return f"{path}\n```python\n<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n```\n"


def big_reply(files: int = 40, blocks_per_file: int = 3) -> str:
    parts = ["I changed the loops so the totals are kept as integers.\n\n"]
    for i in range(files):
        for f in range(blocks_per_file):
            search = f"            total += value * {i}\n        else:\n"
            parts.append(block(f"pkg/mod_{i}.py", f"def compute_{i}_{f}(values, limit={f + 1}):\n" + search,
                               f"def compute_{i}_{f}(values, limit={f + 1}):\n" + search.replace("value *", "int(value) *")))
            parts.append("And the next one:\n\n")
    return "".join(parts)


@points
def test_parse_a_large_reply(unit: float) -> None:
    reply = big_reply()
    assert len(parse_reply(reply)) == 120
    assert_within(timed(lambda: parse_reply(reply)), unit, k=1.0)


def _edits_for_big_file(drift: bool) -> str:
    """20 edits to pkg/big.py; with `drift` the blocks lost one level of indentation."""
    parts = []
    for f in range(0, 300, 15):
        search = (
            f'    """Total of values below {f + 1}, scaled by the index 7."""\n'
            "    total = 0\n    for value in values:\n        if value < limit:\n"
        )
        replace = search.replace("total = 0", "total = 0  # reset")
        if drift:
            search, replace = (_dedent(text) for text in (search, replace))
        parts.append(block("pkg/big.py", search, replace))
    return "".join(parts)


def _dedent(text: str) -> str:
    return "".join(line[4:] for line in text.splitlines(True))


@pytest.fixture
def big_file(tmp_path: Path) -> tuple[Path, str]:
    source = module_source(7, functions=300)
    assert len(source.splitlines()) >= 3000
    (tmp_path / "pkg").mkdir()
    return tmp_path, source


@points
def test_apply_twenty_edits_to_a_3000_line_file(big_file: tuple[Path, str], unit: float) -> None:
    root, source = big_file
    edits = parse_reply(_edits_for_big_file(drift=False))
    reset = lambda: (root / "pkg/big.py").write_text(source)  # noqa: E731
    reset()
    assert apply_edits(root, edits).ok
    assert_within(timed(lambda: apply_edits(root, edits), setup=reset), unit, k=10.0)


@points
def test_apply_edits_that_need_fuzzy_matching(big_file: tuple[Path, str], unit: float) -> None:
    root, source = big_file
    edits = parse_reply(_edits_for_big_file(drift=True))
    reset = lambda: (root / "pkg/big.py").write_text(source)  # noqa: E731
    reset()
    result = apply_edits(root, edits)
    assert result.ok, result.errors[:2]
    assert_within(timed(lambda: apply_edits(root, edits), setup=reset), unit, k=100.0)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    for i in range(300):
        folder = root / f"pkg{i % 10}"
        folder.mkdir(exist_ok=True)
        (folder / f"mod_{i}.py").write_text(module_source(i, functions=6))
    return root


@points
def test_index_300_files(corpus: Path, tmp_path: Path, unit: float) -> None:
    counter = iter(range(100))
    seconds = timed(lambda: CodeIndex(tmp_path / f"index{next(counter)}.sqlite").update("corpus", corpus))
    assert_within(seconds, unit, k=15.0)


@points
def test_reindex_of_an_unchanged_repo_is_cheap(corpus: Path, tmp_path: Path, unit: float) -> None:
    index = CodeIndex(tmp_path / "index.sqlite")
    assert index.update("corpus", corpus) == 300
    assert_within(timed(lambda: index.update("corpus", corpus)), unit, k=1.0)


@points
def test_search_twenty_queries(corpus: Path, tmp_path: Path, unit: float) -> None:
    index = CodeIndex(tmp_path / "index.sqlite")
    index.update("corpus", corpus)
    queries = [f"compute_{i}_3 total of values scaled by the index {i}" for i in range(0, 300, 15)]
    assert index.search(queries[1])[0].path == "pkg5/mod_15.py"
    assert_within(timed(lambda: [index.search(q) for q in queries]), unit, k=8.0)


def pytest_like_output(failures: int) -> str:
    """Output shaped like `pytest -q --tb=short` for many failing tests."""
    parts = ["." * 80 + " [ 50%]\n", "=" * 30 + " FAILURES " + "=" * 30 + "\n"]
    summary = []
    for i in range(failures):
        parts.append(f"{'_' * 20} test_case[{i}] {'_' * 20}\n")
        for depth in range(6):
            parts.append(f"src/module_{depth}.py:{10 + depth}: in step_{depth}\n    return step_{depth + 1}(value)\n")
        parts.append(f"E   AssertionError: assert {i} == {i + 1}\n" + "E     + where extra line\n" * 20)
        summary.append(f"FAILED tests/test_cases.py::test_case[{i}] - AssertionError: assert {i} == {i + 1}\n")
    return "".join(parts) + "=" * 20 + " short test summary info " + "=" * 20 + "\n" + "".join(summary)


@points
def test_summarize_a_large_pytest_output(unit: float) -> None:
    output = pytest_like_output(500)
    assert len(summarize_pytest_output(output)) == 500
    assert_within(timed(lambda: summarize_pytest_output(output)), unit, k=8.0)
