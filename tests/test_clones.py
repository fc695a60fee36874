"""Clones research proposes: which URLs are repositories, the queue, and a real shallow clone."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from langgraph.store.memory import InMemoryStore
from loop_helpers import git, make_target

from ryx.clones import clone, clone_id, folder_name, propose, repo_url
from ryx.errors import RyxError
from ryx.memory import Memory


@pytest.mark.parametrize("url,expected", [
    ("https://github.com/psf/requests", "https://github.com/psf/requests.git"),
    ("https://github.com/psf/requests/blob/main/src/requests/api.py", "https://github.com/psf/requests.git"),
    ("https://gitlab.com/group/proj.git", "https://gitlab.com/group/proj.git"),
    ("https://codeberg.org/a/b/issues/3", "https://codeberg.org/a/b.git"),
    ("https://example.org/mirror/tool.git", "https://example.org/mirror/tool.git"),
    ("file:///srv/git/tool.git", "file:///srv/git/tool.git"),
    ("https://github.com/topics/python", None),
    ("https://stackoverflow.com/questions/1/how", None),
    ("http://insecure.example/tool.git", None),
])
def test_repo_urls(url: str, expected: str | None) -> None:
    assert repo_url(url) == expected


def test_a_proposal_is_queued_once_and_keeps_its_decision(tmp_path: Path) -> None:
    mem = Memory(InMemoryStore(), tmp_path)
    url = "https://github.com/psf/requests.git"
    first = propose(mem, url, "t::a", found_by="python requests retry")
    assert first["status"] == "pending" and first["id"] == clone_id(url)
    mem.put("clones", first["id"], {**first, "status": "rejected"})
    assert propose(mem, url, "t::b", found_by="other")["status"] == "rejected"
    assert list(mem.all("clones")) == [first["id"]]


def test_clone_is_shallow_and_kept_once_made(tmp_path: Path) -> None:
    lib = make_target(tmp_path / "lib", {"tk/slugs.py": "def slugify(t):\n    return t\n"})
    (lib / "tk" / "slugs.py").write_text("def slugify(t):\n    return t.lower()\n")
    git(lib, "commit", "-qam", "second")
    bare = tmp_path / "tk.git"
    git(tmp_path, "clone", "-q", "--bare", str(lib), str(bare))
    dest = clone(f"file://{bare}", tmp_path / "clones")
    assert dest == tmp_path / "clones" / folder_name(f"file://{bare}")
    assert (dest / "tk" / "slugs.py").read_text() == "def slugify(t):\n    return t.lower()\n"
    assert git(dest, "rev-list", "--count", "HEAD").strip() == "1"
    assert clone(f"file://{bare}", tmp_path / "clones") == dest


def test_a_failed_clone_says_what_to_do_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(RyxError, match="ryx approve` again"):
        clone(f"file://{tmp_path}/missing.git", tmp_path / "clones")
    assert not any((tmp_path / "clones").iterdir())
    assert subprocess.run(["git", "--version"], capture_output=True).returncode == 0


def test_an_interactive_run_asks_before_cloning_and_searches_the_clone_on_yes(tmp_path, monkeypatch):
    from fake_web import FakeWeb
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.types import Command
    from loop_helpers import reasoning_lines, replay_file, sr

    from graph.builder import build_graph
    from nodes.support import stop_research
    from state.context import Context

    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    monkeypatch.setenv("RYX_HOME", str(tmp_path / "ryxhome"))
    lib = make_target(tmp_path / "mathkit", {"mathkit/ops.py": "def add(a, b):\n    return a + b  # mathkit-marker\n"})
    git(tmp_path, "clone", "-q", "--bare", str(lib), str(tmp_path / "mathkit.git"))
    wrong = [{"role": "coding", "times": 1, "content": sr("calc.py", "    return a - b", f"    return a * {k}")}
             for k in range(3)]
    fix = {"role": "coding", "match": "mathkit-marker",
           "content": sr("calc.py", "    return a - b", "    return a + b")}
    replay = str(replay_file(tmp_path / "r.jsonl", [*wrong, fix, *reasoning_lines()]))
    with FakeWeb([{"title": "mathkit", "url": f"file://{tmp_path}/mathkit.git", "content": "adds"}]) as web:
        target = make_target(tmp_path / "proj")
        (target / "ryx.toml").write_text(f'[research]\nsearx_url = "{web.url}"\n')
        git(target, "add", "ryx.toml")
        git(target, "commit", "-qm", "config")
        ctx = Context(target=str(target), db=str(tmp_path / "db.sqlite"), intent_model=f"replay:{replay}",
                      reasoning_model=f"replay:{replay}", coding_model=f"replay:{replay}",
                      supervisor_model=f"replay:{replay}", interactive=True)
        store = InMemoryStore()
        graph = build_graph().compile(checkpointer=InMemorySaver(), store=store)
        config = {"configurable": {"thread_id": "t"}}
        try:
            graph.invoke({}, config, context=ctx)
            (question,) = graph.get_state(config).interrupts
            assert question.value["kind"] == "clone" and "mathkit.git" in question.value["question"]
            assert not (tmp_path / "ryxhome" / "clones").exists()
            graph.invoke(Command(resume={question.id: "y"}), config, context=ctx)
            (merge,) = graph.get_state(config).interrupts
        finally:
            stop_research()
    assert merge.value["kind"] == "merge"  # the fix that needed the clone's code verified and landed
    (record,) = Memory(store, target).all("clones").values()
    assert record["status"] == "cloned" and Path(record["path"], "mathkit", "ops.py").is_file()
