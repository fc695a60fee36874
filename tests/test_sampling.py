"""Small models that fix things: an attempt is a batch of samples, screened by the weakness's
test, the survivors verified smallest first; a small model rewrites one function, in a grammar.

Real git, sandboxed pytest and CLI subprocesses; only the model's replies are scripted (the
grammar is checked against the real embedded model)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from loop_helpers import (
    BENCH,
    CALC,
    FIX,
    RYX_ROOT,
    git,
    improve_args,
    make_target,
    reasoning_lines,
    replay_file,
    run_cli,
    sr,
)

from nodes.patch.batch import Tally, patch_id, seeds, temperatures
from nodes.patch.function import as_edit, grammar
from nodes.patch.request import plain_failure
from ryx.codectx import function_under_test
from ryx.config import load_config
from ryx.errors import ConfigError
from ryx.models import default_samples
from ryx.skillset import LocalSkills

PYPROJECT_K3 = '[tool.pytest.ini_options]\nmarkers = ["points(n, category): p"]\n\n[tool.ryx.models]\nsamples = 3\n'
WRONG = sr("calc.py", "def add(a, b):\n    return a - b", "def add(a, b):\n    return a * b")
SLOPPY = sr("calc.py", "def add(a, b):\n    return a - b", "def add(a, b):\n    return a + b; print('x')")


def test_a_batch_screens_its_samples_and_verify_tries_the_next_survivor(tmp_path):
    target = make_target(tmp_path / "proj", {"calc.py": CALC, "benchmark/test_calc.py": BENCH,
                                              "pyproject.toml": PYPROJECT_K3})
    replay = replay_file(tmp_path / "r.jsonl", [{"role": "coding", "times": 1, "content": WRONG},
                                                {"role": "coding", "times": 1, "content": SLOPPY},
                                                {"role": "coding", "content": FIX}, *reasoning_lines()])

    result = run_cli(improve_args(target, replay, tmp_path / "db.sqlite"), tmp_path / "home")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "attempt 1/3: 3 samples: 1 still failing, 2 passed the quick check" in result.stdout
    assert "patch applied (1 file(s): calc.py, 1 more survivor(s) in reserve)" in result.stdout
    assert "attempt 1/3: improved" in result.stdout
    landed = git(target, "show", "ryx/improve:calc.py")
    assert "return a + b\n" in landed and "print" not in landed  # the lint-clean survivor


def test_a_batch_with_no_survivor_is_one_failed_attempt_that_names_its_samples(tmp_path):
    target = make_target(tmp_path / "proj", {"calc.py": CALC, "benchmark/test_calc.py": BENCH,
                                              "pyproject.toml": PYPROJECT_K3})
    replay = replay_file(tmp_path / "r.jsonl", [{"role": "coding", "times": 2, "content": WRONG},
                                                {"role": "coding", "times": 1, "content": "I would change add."},
                                                {"role": "coding", "content": FIX}, *reasoning_lines()])

    result = run_cli(improve_args(target, replay, tmp_path / "db.sqlite"), tmp_path / "home")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "attempt 1/3: 3 samples: 1 no edit found, 1 duplicate, 1 still failing" in result.stdout
    assert "attempt 1/3: refused - none of the 3 samples passed the weakness's test" in result.stdout
    assert "attempt 2/3: 3 samples: 3 passed the quick check" not in result.stdout  # FIX x3: duplicates
    assert "attempt 2/3: 3 samples: 2 duplicate, 1 passed the quick check" in result.stdout
    assert "attempt 2/3: improved" in result.stdout


def test_the_effectiveness_script_reports_where_attempts_and_samples_went(tmp_path):
    script = [sys.executable, str(RYX_ROOT / "scripts" / "effectiveness.py"), "--provider", "replay"]
    batched = subprocess.run([*script, "--bugs", "2", "--samples", "3", "--wrong", "2"], capture_output=True,
                             text=True, timeout=600, cwd=tmp_path)
    assert batched.returncode == 0, batched.stdout + batched.stderr
    assert "fixed within one cycle: 2/2 (100 %)" in batched.stdout
    assert "attempts per fix: 1.0" in batched.stdout
    assert "samples drawn: 6: still failing 4, passed the quick check 2" in batched.stdout

    single = subprocess.run([*script, "--bugs", "1", "--wrong", "1", "--seed", "3"], capture_output=True,
                            text=True, timeout=600, cwd=tmp_path)
    assert single.returncode == 0, single.stdout + single.stderr
    assert "attempts per fix: 2.0" in single.stdout
    assert "how attempts ended: " in single.stdout and "still failing 1" in single.stdout
    assert "improved 1" in single.stdout and "model seconds per attempt" in single.stdout


PYTEST_FAILURE = '''def test_add():
>       assert add(2, 3) == 5
E       assert -1 == 5
E        +  where -1 = add(2, 3)
'''


def _module(tmp_path, text):
    (tmp_path / "mod.py").write_text(text)
    return tmp_path


def test_the_function_under_test_comes_from_the_traceback_then_the_assertion_then_the_calls(tmp_path):
    root = _module(tmp_path, "def helper(x):\n    return x\n\n\ndef add(a, b):\n    return a - b\n\n\n"
                             "class Box:\n    def mean(self, xs):\n        return sum(xs) / 0\n")
    where = function_under_test(root, ["mod.py"], "def test_add():\n    assert helper(add(2, 3)) == 5\n",
                                PYTEST_FAILURE)
    assert (where.name, where.start, where.end, where.indent) == ("add", 5, 6, "    ")
    assert where.source == "def add(a, b):\n    return a - b\n"
    frame = function_under_test(root, ["mod.py"], "def test_mean():\n    assert Box().mean([1]) == 1\n",
                                "mod.py:11: in mean\n    return sum(xs) / 0\nE   ZeroDivisionError")
    assert (frame.name, frame.header, frame.indent) == ("mean", "    def mean(self, xs):\n", "        ")
    called = function_under_test(root, ["mod.py"], "def test_h():\n    assert helper(1) == 2\n", "assert 1 == 2")
    assert called.name == "helper"
    assert function_under_test(root, ["mod.py"], "def test_x():\n    assert other() == 2\n", "") is None


def test_a_function_reply_becomes_an_edit_of_that_function_only(tmp_path):
    root = _module(tmp_path, "class Box:\n    def mean(self, xs):\n        return sum(xs) / 0\n")
    span = function_under_test(root, ["mod.py"], "Box().mean([1])", "")
    reply = "Fixed:\n```python\ndef mean(self, xs):\n    return sum(xs) / len(xs)\n\nprint(mean)\n```\nDone."
    edit = as_edit(span, reply)
    assert edit == ("mod.py\n```python\n<<<<<<< SEARCH\n    def mean(self, xs):\n        return sum(xs) / 0\n"
                    "=======\n    def mean(self, xs):\n        return sum(xs) / len(xs)\n>>>>>>> REPLACE\n```\n")
    with pytest.raises(ValueError, match="no function `def mean\\(`"):
        as_edit(span, "```python\ndef average(xs):\n    return 1\n```")


def test_the_grammar_keeps_the_real_embedded_model_to_one_function(tmp_path):
    pytest.importorskip("llama_cpp")
    from langchain_core.messages import HumanMessage

    from ryx import embedded
    from ryx.models import ModelSettings, varied

    root = _module(tmp_path, 'def shout(s):\n    return s.lower()\n')
    span = function_under_test(root, ["mod.py"], "shout('hi')", "")
    model = embedded.build_chat_llamacpp("smollm2", ModelSettings())
    try:
        chat, kwargs = varied(model, 0.9, 7, grammar(span))
        ask = "```python\ndef shout(s):\n    return s.lower()\n```\n\nWrite a poem about the sea, then fix `shout`."
        reply = chat.invoke([HumanMessage(content=ask)], **kwargs).content
    finally:
        embedded.free(model)
    assert reply.startswith("```python\ndef shout(")  # no prose, no other function first
    assert as_edit(span, reply).startswith("mod.py\n```python\n<<<<<<< SEARCH\ndef shout(s):\n")


def test_a_small_model_is_told_what_the_call_returned_and_what_the_test_wants(tmp_path):
    (tmp_path / "test_x.py").write_text(
        "def shout(s):\n    return s.lower()\n\n\ndef count(xs):\n    return len(xs) + 1\n\n\n"
        "def test_shout():\n    assert shout('hi') == 'HI'\n\n\ndef test_count():\n    assert count([1, 2]) == 2\n\n\n"
        "def test_raises():\n    assert count(None) == 0\n")
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_x.py"],
                         cwd=tmp_path, capture_output=True, text=True).stdout
    said = {name: plain_failure(LocalSkills().feedback(out, f"test_x.py::{name}")[0])
            for name in ("test_shout", "test_count", "test_raises")}
    assert said == {"test_shout": "`shout('hi')` returns 'hi', but it should return 'HI'.",
                    "test_count": "`count([1, 2])` returns 3, but it should return 2.",
                    "test_raises": None}  # a TypeError is no returned value: the failure text goes instead


def test_samples_spread_and_duplicates_are_seen_through_whitespace():
    assert temperatures(1, 0.5) == [0.5]
    assert temperatures(5, 0.5) == [0.2, 0.4, 0.6, 0.8, 1.0]
    assert seeds(3, "t", 1) == seeds(3, "t", 1) and len(set(seeds(3, "t", 1))) == 3 and seeds(3, "t", 2) != seeds(3, "t", 1)
    a = "--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,2 @@\n-x = 1\n+x = 2\n"
    assert patch_id(a) == patch_id(a.replace("+x = 2", "+x = 2   ").replace("@@ -1,2", "@@ -5,2") + "+\n")
    assert patch_id(a) != patch_id(a.replace("x = 2", "x = 3"))
    tally = Tally()
    for ending in ("still failing", "no edit found", "still failing"):
        tally.add(ending, f"because {ending}")
    assert tally.line() == "3 samples: 1 no edit found, 2 still failing"
    assert tally.example() == "because still failing"


def test_samples_default_by_model_size_and_are_set_in_models(tmp_path):
    assert [default_samples(s) for s in ("embedded:smollm2", "ollama:qwen2.5:3b", "ollama:qwen2.5-coder:14b",
                                         "ollama:llama3.1:70b", "replay:/x.jsonl")] == [8, 4, 2, 1, 1]
    (tmp_path / "ryx.toml").write_text("[models]\nsamples = 5\n")
    assert load_config(tmp_path).samples_for("ollama:phi4:14b", 2) == 5
    (tmp_path / "ryx.toml").write_text('[models]\ncoding = "qwen2.5-coder:7b"\n[models.samples]\n"qwen2.5-coder:7b" = 3\n')
    config = load_config(tmp_path)
    assert config.samples_for("ollama:qwen2.5-coder:7b", 2) == 3 and config.samples_for("embedded:smollm2", 8) == 8
    assert config.models == {"coding": "qwen2.5-coder:7b"}
    (tmp_path / "ryx.toml").write_text("[models]\nsamples = 0\n")
    with pytest.raises(ConfigError, match="models.samples` takes whole numbers from 1 to 32"):
        load_config(tmp_path)


def test_a_fix_that_special_cases_the_tests_input_is_flagged_even_when_the_model_calls_it_ok(tmp_path):
    target = make_target(tmp_path / "proj")
    cheat = sr("calc.py", "def add(a, b):\n    return a - b",
               "def add(a, b):\n    if a == 2 and b == 3:\n        return 5\n    return a - b")
    review = {"role": "reasoning", "match": "VERDICT", "content": "It adds the numbers.\nVERDICT: OK"}
    replay = replay_file(tmp_path / "r.jsonl", [{"role": "coding", "content": cheat}, review, *reasoning_lines()])

    result = run_cli(improve_args(target, replay, tmp_path / "db.sqlite", "--cycles", "1"), tmp_path / "home")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "attempt 1/3: improved" in result.stdout and "(pending, review flags it)" in result.stdout
    approvals = run_cli(["approvals", "--target", str(target), "--db", str(tmp_path / "db.sqlite")],
                        tmp_path / "home", module="graph.cli")
    assert "special-case the test's inputs: `if a == 2 and b == 3:`" in approvals.stdout, approvals.stdout
