"""Run the edit corpus (benchmark/suite/edit_cases) through skills.edit and print the counts.

Usage: python scripts/edit_corpus_report.py [-v]   (-v lists every case that did not pass)
Exit code 1 when any case was wrongly applied (that number must stay 0).
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LABELS = {
    "applied": "applied correctly",
    "refused": "refused correctly",
    "wrongly_applied": "wrongly applied (must be 0)",
    "wrongly_refused": "wrongly refused",
    "refused_poorly": "refused, error lacks expected text",
}


def load_corpus():
    path = ROOT / "benchmark" / "suite" / "edit_cases" / "corpus.py"
    spec = importlib.util.spec_from_file_location("_ryx_edit_corpus", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main(argv: list[str]) -> int:
    corpus = load_corpus()
    cases = corpus.load_cases()
    results = []
    for case in cases:
        with tempfile.TemporaryDirectory() as tmp:
            results.append((case, corpus.run_case(case, Path(tmp))))
    total = len(results)
    print(f"cases: {total}")
    for verdict in corpus.VERDICTS:
        count = sum(1 for _, outcome in results if outcome.verdict == verdict)
        print(f"{LABELS[verdict]}: {count} ({count / total:.0%})" if total else f"{LABELS[verdict]}: 0")
    if "-v" in argv:
        for case, outcome in results:
            if not outcome.passed:
                print(f"\n--- {case.name} [{outcome.verdict}]\n{outcome.detail}")
    return 1 if any(o.verdict == "wrongly_applied" for _, o in results) else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
