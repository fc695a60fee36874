"""Edit success: real-looking model replies applied by `skills.edit`, judged byte for byte.

Each case in `edit_cases/` is a repository before, a model reply (qwen2.5-coder / phi /
smollm style: fences, prose, path-line variants, several blocks and files, whole files,
unified diffs, indentation drift, CRLF, tabs, BOM, `...` elision, near-miss searches), and
either the exact repository after, or a refusal: nothing written and an error that names the
file (and, for a search that matches nothing, quotes the closest lines). The `hard_` cases
are fair replies a better engine would apply.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(_HERE.parents[1]))  # the tree under test, not an installed copy


def _corpus():
    spec = importlib.util.spec_from_file_location("_ryx_edit_corpus", _HERE / "edit_cases" / "corpus.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


corpus = _corpus()
CASES = corpus.load_cases()


@pytest.mark.points(1, category="edit_success")
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_edit_case(case, tmp_path):
    outcome = corpus.run_case(case, tmp_path)
    assert outcome.passed, f"{outcome.verdict}: {outcome.detail}"
