"""Fitting prompts into the embedded model's context, and naming its model file."""

from __future__ import annotations

import pytest

from ryx import embedded
from ryx.embedded import cut_middle, fit_messages
from ryx.errors import UsageError


def words(text: str) -> int:
    return len(text.split())


def test_cut_middle_keeps_both_ends_and_marks_the_cut() -> None:
    text = "HEAD " + "x " * 500 + "TAIL"
    cut = cut_middle(text, 600)
    assert cut.startswith("HEAD ") and cut.endswith("TAIL")
    assert "[... 600 characters cut to fit the embedded model's context ...]" in cut
    assert len(cut) < len(text) - 500


def test_cut_middle_of_everything_says_so() -> None:
    assert cut_middle("abc", 10) == "[3 characters cut to fit the embedded model's context]"


def test_fit_messages_leaves_short_prompts_alone() -> None:
    messages = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]
    assert fit_messages(messages, words, 100) == messages


def test_fit_messages_trims_the_longest_message_to_the_budget() -> None:
    system = {"role": "system", "content": "You fix code. Reply with edit blocks."}
    user = {"role": "user", "content": "Fix test_add.\n" + "line of code\n" * 3000 + "END"}
    fitted = fit_messages([system, user], words, 1000)
    total = sum(words(m["content"]) + embedded.TEMPLATE_TOKENS_PER_MESSAGE for m in fitted)
    assert total <= 1000
    assert fitted[0] == system
    assert fitted[1]["content"].startswith("Fix test_add.") and fitted[1]["content"].endswith("END")
    assert "cut to fit" in fitted[1]["content"]
    assert user["content"].endswith("END") and len(user["content"]) > 30000  # input untouched


@pytest.mark.parametrize("name", ["llama3", "qwen2.5:3b"])
def test_unknown_embedded_names_are_usage_errors(name: str) -> None:
    with pytest.raises(UsageError, match="embedded:smollm2"):
        embedded.check_name(name)


def test_labels_name_the_model() -> None:
    assert embedded.label("smollm2") == "SmolLM2-135M"
    assert embedded.label("/models/tiny.gguf") == "tiny.gguf"
