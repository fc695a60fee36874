"""The replay provider: scripted replies from a JSONL file, through a real chat model."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from ryx.errors import ConfigError, RyxError
from ryx.replay import ReplayChatModel, ReplayExhausted, ReplayScript


def write(tmp_path: Path, *lines: object) -> Path:
    path = tmp_path / "replies.jsonl"
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    return path


def model(script: ReplayScript, role: str) -> ReplayChatModel:
    return ReplayChatModel(role=role, script=script)


def test_first_line_that_fits_the_role_wins(tmp_path: Path) -> None:
    script = ReplayScript(write(
        tmp_path,
        {"role": "reasoning", "content": "think"},
        {"role": "coding", "content": "code one"},
        {"role": "coding", "content": "code two"},
    ))
    reply = model(script, "coding").invoke("fix it")
    assert isinstance(reply, AIMessage)
    assert reply.content == "code one"
    assert model(script, "coding").invoke("again").content == "code one"
    assert model(script, "reasoning").invoke("why").content == "think"


def test_match_is_searched_across_all_messages(tmp_path: Path) -> None:
    script = ReplayScript(write(
        tmp_path,
        {"role": "coding", "match": r"def add\(", "content": "fix add"},
        {"role": "coding", "match": "SYSTEM-ONLY", "content": "from system"},
        {"role": "coding", "content": "fallback"},
    ))
    coder = model(script, "coding")
    assert coder.invoke([HumanMessage("def sub(a, b): ...")]).content == "fallback"
    history = [HumanMessage("look at this"), AIMessage("ok"), HumanMessage("x = def add(1)")]
    assert coder.invoke(history).content == "fix add"
    system = [SystemMessage("rules SYSTEM-ONLY"), HumanMessage("anything")]
    assert coder.invoke(system).content == "from system"


def test_match_reads_list_content_blocks(tmp_path: Path) -> None:
    script = ReplayScript(write(tmp_path, {"role": "*", "match": "needle", "content": "found"}))
    message = HumanMessage(content=[{"type": "text", "text": "hay needle hay"}])
    assert model(script, "intent").invoke([message]).content == "found"


def test_times_caps_uses_across_roles(tmp_path: Path) -> None:
    script = ReplayScript(write(
        tmp_path,
        {"role": "*", "content": "once", "times": 1},
        {"role": "*", "content": "twice", "times": 2},
        {"role": "coding", "content": "coding forever"},
    ))
    replies = [model(script, r).invoke("go").content
               for r in ("intent", "reasoning", "supervisor", "coding", "coding")]
    assert replies == ["once", "twice", "twice", "coding forever", "coding forever"]
    assert script.uses() == [1, 2, 2]


def test_star_role_fits_every_role(tmp_path: Path) -> None:
    script = ReplayScript(write(tmp_path, {"role": "*", "content": "any"}))
    for role in ("intent", "reasoning", "coding", "supervisor"):
        assert model(script, role).invoke("x").content == "any"


def test_exhaustion_names_role_and_prompt_start(tmp_path: Path) -> None:
    script = ReplayScript(write(
        tmp_path,
        {"role": "coding", "content": "only once", "times": 1},
        {"role": "reasoning", "content": "not for coding"},
    ))
    coder = model(script, "coding")
    coder.invoke("first")
    prompt = "Please fix the failing test test_parse_dates " + "x" * 200
    with pytest.raises(ReplayExhausted) as caught:
        coder.invoke([SystemMessage("system rules"), HumanMessage(prompt)])
    message = str(caught.value)
    assert "role 'coding'" in message
    assert prompt[:120] in message and prompt[:121] not in message
    assert "system rules" not in message
    assert str(script.path) in message
    assert isinstance(caught.value, RyxError) and caught.value.exit_code == 1


def test_counters_are_thread_safe(tmp_path: Path) -> None:
    script = ReplayScript(write(tmp_path, {"role": "*", "content": "a", "times": 50},
                                {"role": "*", "content": "b"}))
    got: list[str] = []
    lock = threading.Lock()

    def call() -> None:
        for _ in range(20):
            text = script.take("coding", [HumanMessage("x")])
            with lock:
                got.append(text)

    threads = [threading.Thread(target=call) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert got.count("a") == 50 and got.count("b") == 50


def test_blank_and_comment_lines_are_ignored_and_numbering_kept(tmp_path: Path) -> None:
    path = write(tmp_path, "# replies for the demo", "", {"role": "coding", "content": "ok"},
                 "   ", '{"role": "coding"}')
    with pytest.raises(ConfigError, match=r"line 5: \"content\""):
        ReplayScript(path)


@pytest.mark.parametrize(("line", "fragment"), [
    ('{"role": "coding", "content": "x"', "not valid JSON"),
    ('["coding", "x"]', "expected a JSON object"),
    ('{"role": "coder", "content": "x"}', "role 'coder' is not one of"),
    ('{"content": "x"}', "role None is not one of"),
    ('{"role": "coding"}', '"content"'),
    ('{"role": "coding", "content": 3}', '"content"'),
    ('{"role": "coding", "content": "x", "match": "def (add"}', "bad regular expression"),
    ('{"role": "coding", "content": "x", "match": 5}', '"match" must be a string'),
    ('{"role": "coding", "content": "x", "times": 0}', '"times" must be a whole number'),
    ('{"role": "coding", "content": "x", "times": 1.5}', '"times" must be a whole number'),
    ('{"role": "coding", "content": "x", "times": true}', '"times" must be a whole number'),
    ('{"role": "coding", "content": "x", "mach": "y"}', "unknown key 'mach'"),
])
def test_malformed_lines_name_file_and_line(tmp_path: Path, line: str, fragment: str) -> None:
    path = write(tmp_path, {"role": "*", "content": "fine"}, line)
    with pytest.raises(ConfigError) as caught:
        ReplayScript(path)
    message = str(caught.value)
    assert f"replay file {path}, line 2:" in message
    assert fragment in message
    assert caught.value.exit_code == 2


def test_empty_or_missing_file_is_a_config_error(tmp_path: Path) -> None:
    empty = write(tmp_path, "# nothing yet")
    with pytest.raises(ConfigError, match="has no replies"):
        ReplayScript(empty)
    with pytest.raises(ConfigError, match="cannot read replay file"):
        ReplayScript(tmp_path / "absent.jsonl")
