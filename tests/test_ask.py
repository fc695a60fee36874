"""Model calls from nodes: retries sample hotter, temperatures reach the server, timeouts are retried."""

from __future__ import annotations

import time
from types import SimpleNamespace

from fake_ollama import FakeOllama

from nodes.patch import retry_temperature
from nodes.support import ask
from ryx.models import ModelPool, ModelSettings


def test_each_try_of_an_approach_is_hotter_and_the_next_approach_starts_cool():
    assert [retry_temperature(0.2, n) for n in range(7)] == [0.2, 0.5, 0.8, 0.2, 0.5, 0.8, 0.2]
    assert retry_temperature(0.9, 2) == 1.0


def test_ask_sends_the_temperature_it_was_given():
    with FakeOllama() as server:
        server.script("*", "ok")
        settings = ModelSettings(ollama_url=server.url, temperature=0.2)
        svc = SimpleNamespace(pool=ModelPool({"coding": "ollama:qwen2.5-coder:14b"}, settings))
        ask(svc, "coding", "system", "user")
        ask(svc, "coding", "system", "user", temperature=0.8)
        temps = [body["options"]["temperature"] for body in server.bodies("/api/chat")]
    assert temps == [0.2, 0.8]


def test_a_timed_out_model_call_is_retried():
    calls = []

    def slow_first(body):
        calls.append(body["model"])
        if len(calls) == 1:
            time.sleep(1.0)
        return "second try"

    with FakeOllama() as server:
        server.script("*", slow_first)
        settings = ModelSettings(ollama_url=server.url, timeout_s=0.3)
        svc = SimpleNamespace(pool=ModelPool({"coding": "ollama:qwen2.5-coder:14b"}, settings))
        assert ask(svc, "coding", "system", "user") == "second try"
    assert len(calls) == 2
