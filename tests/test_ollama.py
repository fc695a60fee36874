"""Ollama chat models from the pool, over real HTTP to a FakeOllama server."""

from __future__ import annotations

import socket
import time

import httpx
import pytest
from fake_ollama import FakeOllama
from langchain_core.messages import HumanMessage, SystemMessage

from ryx.models import ModelPool, ModelSettings, resolve_specs, unload_ollama_models
from ryx.ollama import normalize_url


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def pool_for(server: FakeOllama, **settings: object) -> ModelPool:
    config = ModelSettings(ollama_url=server.url, **settings)  # type: ignore[arg-type]
    return ModelPool(resolve_specs("ollama", {}, None, config), config)


def test_pool_model_answers_with_scripted_reply_and_sends_options(fake_ollama: FakeOllama) -> None:
    fake_ollama.script("qwen2.5-coder:14b", "def add(a, b):\n    return a + b\n")
    model = pool_for(fake_ollama, num_ctx=4096, max_tokens=300).for_role("coding")
    reply = model.invoke([SystemMessage("You write code."), HumanMessage("write add")])
    assert reply.content == "def add(a, b):\n    return a + b\n"
    body = fake_ollama.bodies("/api/chat")[-1]
    assert body["model"] == "qwen2.5-coder:14b"
    assert body["options"]["num_ctx"] == 4096
    assert body["options"]["num_predict"] == 300
    assert body["options"]["temperature"] == 0.2
    assert body["keep_alive"] == "10m"
    assert [m["content"] for m in body["messages"]] == ["You write code.", "write add"]


def test_non_streamed_chat_is_answered_too(fake_ollama: FakeOllama) -> None:
    fake_ollama.script("*", lambda body: "echo: " + body["messages"][-1]["content"])
    model = pool_for(fake_ollama).for_role("intent")
    reply = model.invoke("route me", stream=False)
    assert reply.content == "echo: route me"
    assert fake_ollama.bodies("/api/chat")[-1]["stream"] is False


def test_client_timeout_is_configured_and_enforced() -> None:
    with FakeOllama(delay_s=2.0) as server:
        model = pool_for(server, timeout_s=0.3).for_role("intent")
        assert model._client._client.timeout == httpx.Timeout(0.3)
        started = time.monotonic()
        with pytest.raises(httpx.TimeoutException):
            model.invoke("slow please")
        assert time.monotonic() - started < 1.5


def test_switching_roles_unloads_the_previous_model(fake_ollama: FakeOllama) -> None:
    pool = pool_for(fake_ollama, max_resident=1)
    pool.for_role("intent").invoke("which way?")
    assert fake_ollama.loaded == {"qwen2.5:3b"}
    coder = pool.for_role("coding")
    assert fake_ollama.loaded == set()
    unloads = [b for b in fake_ollama.bodies("/api/generate") if b["keep_alive"] == 0]
    assert [b["model"] for b in unloads] == ["qwen2.5:3b"]
    coder.invoke("patch it")
    assert fake_ollama.loaded == {"qwen2.5-coder:14b"}
    assert pool.resident == ["qwen2.5-coder:14b"]


def test_roles_sharing_a_model_do_not_unload_it(fake_ollama: FakeOllama) -> None:
    pool = pool_for(fake_ollama, max_resident=1)
    pool.for_role("reasoning").invoke("think")
    pool.for_role("supervisor").invoke("note")
    assert pool.for_role("reasoning") is pool.for_role("supervisor")
    assert fake_ollama.bodies("/api/generate") == []
    assert fake_ollama.loaded == {"phi4:14b"}


def test_max_resident_two_unloads_the_model_least_soon_needed(fake_ollama: FakeOllama) -> None:
    pool = pool_for(fake_ollama, max_resident=2)
    pool.for_role("intent").invoke("a")
    pool.for_role("coding").invoke("b")
    pool.for_role("intent").invoke("c")
    assert fake_ollama.loaded == {"qwen2.5:3b", "qwen2.5-coder:14b"}
    pool.for_role("reasoning").invoke("d")  # the intent model routes once a cycle: it goes first
    assert fake_ollama.loaded == {"qwen2.5-coder:14b", "phi4:14b"}
    pool.for_role("intent").invoke("e")  # then the least recently used
    assert pool.resident == ["phi4:14b", "qwen2.5:3b"]


def test_unload_all_empties_server_memory(fake_ollama: FakeOllama) -> None:
    pool = pool_for(fake_ollama, max_resident=3)
    for role in ("intent", "reasoning", "coding"):
        pool.for_role(role).invoke("hi")
    assert len(fake_ollama.loaded) == 3
    names = pool.unload_all()
    assert sorted(names) == ["phi4:14b", "qwen2.5-coder:14b", "qwen2.5:3b"]
    assert fake_ollama.loaded == set()
    assert pool.resident == []


def test_unload_ollama_models_unloads_everything_ps_lists(fake_ollama: FakeOllama) -> None:
    pool = pool_for(fake_ollama, max_resident=3)
    pool.for_role("intent").invoke("hi")
    pool.for_role("coding").invoke("hi")
    names = unload_ollama_models(fake_ollama.url)
    assert sorted(names) == ["qwen2.5-coder:14b", "qwen2.5:3b"]
    assert fake_ollama.loaded == set()
    assert "/api/ps" in fake_ollama.paths()


def test_unload_ollama_models_named_and_without_a_server(fake_ollama: FakeOllama) -> None:
    pool = pool_for(fake_ollama, max_resident=3)
    pool.for_role("intent").invoke("hi")
    pool.for_role("coding").invoke("hi")
    assert unload_ollama_models(fake_ollama.url, ["qwen2.5:3b"]) == ["qwen2.5:3b"]
    assert fake_ollama.loaded == {"qwen2.5-coder:14b"}
    assert unload_ollama_models(fake_ollama.url, ["not-pulled:1b"]) == []
    assert unload_ollama_models(closed_port_url()) == []


@pytest.mark.parametrize(("given", "expected"), [
    ("0.0.0.0:11434", "http://127.0.0.1:11434"),
    ("localhost", "http://localhost:11434"),
    ("https://gpu.example.org/", "https://gpu.example.org:443"),
    ("http://10.0.0.5:8080", "http://10.0.0.5:8080"),
])
def test_normalize_url_reads_hosts_the_way_ollama_does(given: str, expected: str) -> None:
    assert normalize_url(given) == expected


def test_settings_default_url_comes_from_ollama_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "gpu-box:1234")
    assert ModelSettings().ollama_url == "http://gpu-box:1234"
    monkeypatch.delenv("OLLAMA_HOST")
    assert ModelSettings().ollama_url == "http://127.0.0.1:11434"
