"""Approvals: `ryx approve` merges into the user's branch, `ryx reject` reverts on ryx/improve,
and an interactive run asks its questions through LangGraph interrupts."""

from __future__ import annotations

from pathlib import Path

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.store.memory import InMemoryStore
from langgraph.types import Command
from loop_helpers import (
    FIX,
    git,
    improve_args,
    make_target,
    reasoning_lines,
    replay_file,
    run_cli,
    sr,
)

from graph.builder import build_graph
from ryx.memory import Memory
from state.context import Context


def _landed(tmp_path):
    target = make_target(tmp_path / "proj")
    replay = replay_file(tmp_path / "r.jsonl", [{"role": "coding", "content": FIX}, *reasoning_lines()])
    db = tmp_path / "db.sqlite"
    result = run_cli(improve_args(target, replay, db), tmp_path / "home")
    assert result.returncode == 0, result.stderr
    listing = run_cli(["approvals", "--target", str(target), "--db", str(db)], tmp_path / "home", module="graph.cli")
    line = next(ln for ln in listing.stdout.splitlines() if "pending core" in ln)
    return target, db, line.split()[0]


def test_approve_merges_the_improvement_into_the_checked_out_branch(tmp_path):
    target, db, approval = _landed(tmp_path)
    assert "return a - b" in (target / "calc.py").read_text()

    result = run_cli(["approve", approval, "--target", str(target), "--db", str(db)], tmp_path / "home",
                     module="graph.cli")

    assert result.returncode == 0, result.stderr
    assert "merged" in result.stdout and "main" in result.stdout
    assert "return a + b" in (target / "calc.py").read_text()
    assert git(target, "rev-parse", "main") == git(target, "rev-parse", "ryx/improve")


def test_reject_reverts_on_ryx_improve_and_leaves_the_user_alone(tmp_path):
    target, db, approval = _landed(tmp_path)
    head = git(target, "rev-parse", "main")

    result = run_cli(["reject", approval, "--target", str(target), "--db", str(db)], tmp_path / "home",
                     module="graph.cli")

    assert result.returncode == 0, result.stderr
    assert "return a - b" in git(target, "show", "ryx/improve:calc.py")
    assert git(target, "rev-parse", "main") == head
    unknown = run_cli(["approve", "nope", "--target", str(target), "--db", str(db)], tmp_path / "home",
                      module="graph.cli")
    assert unknown.returncode == 2 and "no approval 'nope'" in unknown.stderr


def _interactive(tmp_path, lines):
    target = make_target(tmp_path / "proj")
    replay = str(replay_file(tmp_path / "r.jsonl", [*lines, *reasoning_lines()]))
    spec = f"replay:{replay}"
    ctx = Context(target=str(target), db=str(tmp_path / "db.sqlite"), intent_model=spec, reasoning_model=spec,
                  coding_model=spec, supervisor_model=spec, interactive=True, offline=True)
    store = InMemoryStore()
    graph = build_graph().compile(checkpointer=InMemorySaver(), store=store)
    return target, ctx, graph, Memory(store, target)


def test_an_interactive_run_asks_to_merge_and_merges_on_yes(tmp_path):
    target, ctx, graph, mem = _interactive(tmp_path, [{"role": "coding", "content": FIX}])
    config = {"configurable": {"thread_id": "t"}}

    graph.invoke({}, config, context=ctx)
    (question,) = graph.get_state(config).interrupts
    assert question.value["kind"] == "merge" and "Merge it into your branch now?" in question.value["question"]
    assert "return a - b" in (target / "calc.py").read_text()
    graph.invoke(Command(resume={question.id: "y"}), config, context=ctx)

    assert "return a + b" in (target / "calc.py").read_text()
    (record,) = mem.all("approvals").values()
    assert record["status"] == "merged"
    assert git(target, "rev-list", "--count", "main").strip() == "2"


def test_an_interactive_escalation_takes_a_note_and_unparks(tmp_path):
    wrong = [{"role": "coding", "times": 1, "content": sr("calc.py", "    return a - b", f"    return a * b + 10 + {k}")}
             for k in range(9)]
    target, ctx, graph, mem = _interactive(tmp_path, wrong)
    config = {"configurable": {"thread_id": "t"}}

    graph.invoke({}, config, context=ctx)
    (question,) = graph.get_state(config).interrupts
    assert question.value["kind"] == "escalation"
    assert mem.all("parked") and list(mem.all("tickets").values())[0]["status"] == "open"
    graph.invoke(Command(resume={question.id: "add must return the sum of a and b"}), config, context=ctx)

    test_id = "benchmark/test_calc.py::test_add"
    assert mem.get("notes", test_id)["text"] == "add must return the sum of a and b"
    assert not mem.all("parked")
    assert list(mem.all("tickets").values())[0]["status"] == "answered"
    assert git(target, "rev-list", "--count", "main..ryx/improve").strip() == "0"


DATA_BENCH = '''import pytest
from pathlib import Path


@pytest.mark.points(1, category="data")
def test_answer():
    assert Path("data/answer.txt").read_text().strip() == "42"
'''


REVIEW_OK = "It writes the answer the test reads into data/answer.txt; nothing else.\nVERDICT: OK"
REVIEW_FLAG = "It hard-codes the value the test expects instead of computing it.\nVERDICT: SUSPICIOUS"


def _data_target(tmp_path, review: str = REVIEW_OK):
    target = make_target(tmp_path / "proj", {"data/answer.txt": "41\n", "benchmark/test_data.py": DATA_BENCH,
                                              "pyproject.toml": "[tool.pytest.ini_options]\nmarkers = ['points(n, category): p']\n"})
    fix = sr("data/answer.txt", "41", "42")
    replay = replay_file(tmp_path / "r.jsonl", [{"role": "coding", "content": fix},
                                                {"role": "reasoning", "match": "VERDICT", "content": review},
                                                *reasoning_lines()])
    return target, replay


def test_auto_merges_a_change_to_safe_paths_only(tmp_path):
    target, replay = _data_target(tmp_path)
    result = run_cli(improve_args(target, replay, tmp_path / "db.sqlite", "--auto"), tmp_path / "home")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "(merged)" in result.stdout
    assert (target / "data/answer.txt").read_text() == "42\n"


def test_a_change_its_review_flags_is_never_auto_merged_and_approvals_shows_the_review(tmp_path):
    target, replay = _data_target(tmp_path, review=REVIEW_FLAG)
    db = tmp_path / "db.sqlite"
    result = run_cli(improve_args(target, replay, db, "--auto"), tmp_path / "home")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "(pending, review flags it)" in result.stdout
    assert (target / "data/answer.txt").read_text() == "41\n"
    listing = run_cli(["approvals", "--target", str(target), "--db", str(db)], tmp_path / "home", module="graph.cli")
    assert "review (FLAGGED VERDICT: SUSPICIOUS): It hard-codes the value the test expects" in listing.stdout
    report = run_cli(["report", "--night", "latest", "--target", str(target), "--db", str(db)], tmp_path / "home",
                     module="graph.cli")
    written = Path(report.stdout.strip().splitlines()[-1].split(": ", 1)[1])
    assert "review (FLAGGED): It hard-codes the value" in written.read_text()


def test_without_auto_a_safe_change_still_waits_for_approval(tmp_path):
    target, replay = _data_target(tmp_path)
    result = run_cli(improve_args(target, replay, tmp_path / "db.sqlite"), tmp_path / "home")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "(pending)" in result.stdout
    assert (target / "data/answer.txt").read_text() == "41\n"


def test_yes_to_merge_with_uncommitted_edits_in_a_changed_file_says_what_to_do_and_ends_the_cycle(tmp_path):
    target, ctx, graph, mem = _interactive(tmp_path, [{"role": "coding", "content": FIX}])
    config = {"configurable": {"thread_id": "t"}}
    graph.invoke({}, config, context=ctx)
    (question,) = graph.get_state(config).interrupts
    mine = (target / "calc.py").read_text() + "# my own edit, not committed\n"
    (target / "calc.py").write_text(mine)

    graph.invoke(Command(resume={question.id: "y"}), config, context=ctx)

    state = graph.get_state(config)
    assert not state.next and not state.interrupts  # the cycle ended; a resume has nothing to redo
    outcome = state.values["outcome"]
    (record,) = mem.all("approvals").values()
    assert outcome["kind"] == "landed" and "not merged into your branch" in outcome["summary"]
    assert "Commit or stash your changes" in outcome["summary"] and f"ryx approve {record['id']}" in outcome["summary"]
    assert record["status"] == "pending"
    assert (target / "calc.py").read_text() == mine


def test_status_labels_the_points_of_both_branches_and_explains_core(tmp_path):
    target, db, approval = _landed(tmp_path)
    home = tmp_path / "home"
    before = run_cli(["status", "--target", str(target), "--db", str(db)], home, module="graph.cli")
    assert "points on ryx/improve: 4/4" in before.stdout and "  math: 4/4" in before.stdout, before.stdout
    assert "points on your branch main: 2/4" in before.stdout  # the tree the cycle started from
    assert f"{approval} pending core" in before.stdout and "core: it changes paths outside [paths] safe" in before.stdout
    (target / "calc.py").write_text((target / "calc.py").read_text().replace("a - b", "a + b") + "# mine\n")
    edited = run_cli(["status", "--target", str(target), "--db", str(db)], home, module="graph.cli")
    assert "points on your branch main: not scored as it is now (`ryx benchmark` scores it)" in edited.stdout
    assert run_cli(["benchmark", "--target", str(target), "--db", str(db)], home, module="graph.cli").returncode == 0
    scored = run_cli(["status", "--target", str(target), "--db", str(db)], home, module="graph.cli")
    assert "points on your branch main: 4/4" in scored.stdout and "points on ryx/improve: 4/4" in scored.stdout
