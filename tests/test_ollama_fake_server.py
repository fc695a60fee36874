"""FakeOllama answers the real `ollama` client the way a server does."""

from __future__ import annotations

import ollama
import pytest
from fake_ollama import FakeOllama

from ryx.ollama import request_json


def test_list_ps_and_show_through_the_real_client(fake_ollama: FakeOllama) -> None:
    client = ollama.Client(host=fake_ollama.url)
    assert [m.model for m in client.list().models] == list(fake_ollama.models)
    assert client.ps().models == []
    assert client.show("phi4:14b").modelfile == "FROM phi4:14b"
    with pytest.raises(ollama.ResponseError) as caught:
        client.show("missing:1b")
    assert caught.value.status_code == 404
    assert request_json(fake_ollama.url, "/api/version")["version"]


def test_chat_streamed_and_not(fake_ollama: FakeOllama) -> None:
    fake_ollama.script("qwen2.5:3b", "a reply long enough to come in several chunks")
    client = ollama.Client(host=fake_ollama.url)
    messages = [{"role": "user", "content": "hi"}]
    parts = list(client.chat(model="qwen2.5:3b", messages=messages, stream=True))
    assert len(parts) > 2 and parts[-1].done and not parts[0].done
    assert "".join(p.message.content or "" for p in parts) == (
        "a reply long enough to come in several chunks")
    whole = client.chat(model="qwen2.5:3b", messages=messages)
    assert whole.message.content == "a reply long enough to come in several chunks"
    assert [m.model for m in client.ps().models] == ["qwen2.5:3b"]


def test_generate_loads_answers_and_unloads(fake_ollama: FakeOllama) -> None:
    client = ollama.Client(host=fake_ollama.url)
    assert client.generate(model="phi4:14b").done_reason == "load"
    assert fake_ollama.loaded == {"phi4:14b"}
    assert client.generate(model="phi4:14b", prompt="say x").response == "reply from phi4:14b"
    assert client.generate(model="phi4:14b", keep_alive=0).done_reason == "unload"
    assert fake_ollama.loaded == set()


def test_chat_with_keep_alive_zero_leaves_nothing_loaded(fake_ollama: FakeOllama) -> None:
    client = ollama.Client(host=fake_ollama.url)
    client.chat(model="qwen2.5:3b", messages=[{"role": "user", "content": "x"}], keep_alive=0)
    assert fake_ollama.loaded == set()
    with pytest.raises(ollama.ResponseError):
        client.chat(model="unknown:1b", messages=[{"role": "user", "content": "x"}])
