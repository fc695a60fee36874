"""Ryx's points harness: a pytest plugin, a contained runner, the scorecard and comparison.

Ryx's own benchmark suite lives in `benchmark/suite/`.
"""

from __future__ import annotations

from benchmark.compare import Comparison, compare
from benchmark.integrity import benchmark_files_hash, tree_hash
from benchmark.protect import protected_violations
from benchmark.runner import run_benchmark
from benchmark.scorecard import BenchmarkError, Scorecard, ScorecardError, TestResult
from ryx.benchspec import BenchSpec

__all__ = [
    "BenchSpec", "BenchmarkError", "Comparison", "Scorecard", "ScorecardError", "TestResult",
    "benchmark_files_hash", "compare", "protected_violations", "run_benchmark", "tree_hash",
]
