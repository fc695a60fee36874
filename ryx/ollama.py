"""Talking to an Ollama server: probe it, list models, unload them, build chat models.

The HTTP helpers use the standard library only, so `ryx stop all` and `--help` stay fast;
`langchain_ollama` is imported only when a chat model is built.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.request
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ryx.errors import EnvironmentMissing

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

log = logging.getLogger(__name__)

DEFAULT_URL = "http://127.0.0.1:11434"


def default_url() -> str:
    """The server URL: `OLLAMA_HOST` (as Ollama itself reads it) or the local default."""
    return normalize_url(os.environ.get("OLLAMA_HOST", "") or DEFAULT_URL)


def normalize_url(url: str) -> str:
    """`0.0.0.0:11434`, `localhost` or `https://gpu-box` -> a URL with scheme and port."""
    url = url.strip().rstrip("/")
    if "://" not in url:
        url = f"http://{url}"
    scheme, rest = url.split("://", 1)
    host, _, path = rest.partition("/")
    if host.startswith("0.0.0.0"):
        host = "127.0.0.1" + host[len("0.0.0.0"):]
    if ":" not in host.rsplit("]", 1)[-1]:
        host = f"{host}:{443 if scheme == 'https' else 11434}"
    return f"{scheme}://{host}" + (f"/{path}" if path else "")


def request_json(url: str, path: str, body: dict | None = None, timeout_s: float = 5) -> Any:
    """GET (body None) or POST JSON to the server; returns the decoded reply."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        url + path, data=data, method="GET" if body is None else "POST",
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=timeout_s) as resp:
        return json.loads(resp.read().decode() or "null")


def is_reachable(url: str, timeout_s: float = 1.0) -> bool:
    """True when an Ollama server answers `/api/tags` at `url` within `timeout_s`."""
    try:
        request_json(url, "/api/tags", timeout_s=timeout_s)
    except (OSError, ValueError):
        return False
    return True


def pulled_models(url: str, timeout_s: float = 5) -> list[str]:
    """Names of the models pulled on the server; EnvironmentMissing when it does not answer."""
    try:
        reply = request_json(url, "/api/tags", timeout_s=timeout_s)
    except (OSError, ValueError) as exc:
        raise EnvironmentMissing(
            f"no Ollama server answers at {url} ({_reason(exc)}). Start it with `ollama serve` "
            "(or point OLLAMA_HOST at yours), or use --provider embedded to run offline "
            "with the small built-in model."
        ) from exc
    return [m.get("name") or m.get("model", "") for m in reply.get("models", [])]


def is_pulled(name: str, pulled: Iterable[str]) -> bool:
    """`llama3` is pulled when the server lists `llama3:latest`."""
    names = set(pulled)
    return name in names or (":" not in name and f"{name}:latest" in names)


def loaded_models(url: str, timeout_s: float = 5) -> list[str]:
    """Names of the models the server holds in memory now (`/api/ps`)."""
    reply = request_json(url, "/api/ps", timeout_s=timeout_s)
    return [m.get("name") or m.get("model", "") for m in reply.get("models", [])]


def unload_ollama_models(
    url: str, names: Iterable[str] | None = None, timeout_s: float = 5
) -> list[str]:
    """Ask the server to drop models from memory (keep_alive 0); returns the names unloaded.

    `names` None unloads everything `/api/ps` lists. A server that does not answer holds
    nothing, so the result is then empty; a model the server refuses is logged and skipped.
    """
    url = normalize_url(url)
    try:
        targets = loaded_models(url, timeout_s) if names is None else list(names)
    except (OSError, ValueError) as exc:
        log.info("no Ollama server at %s to unload from (%s)", url, _reason(exc))
        return []
    return [name for name in targets if _unload_one(url, name, timeout_s)]


def _unload_one(url: str, name: str, timeout_s: float) -> bool:
    body = {"model": name, "prompt": "", "keep_alive": 0, "stream": False}
    try:
        request_json(url, "/api/generate", body, timeout_s=timeout_s)
    except (OSError, ValueError) as exc:
        log.warning("could not unload Ollama model %s at %s: %s", name, url, _reason(exc))
        return False
    return True


def build_chat_ollama(name: str, settings: Any) -> BaseChatModel:
    """A ChatOllama with the context size, timeout and keep_alive set explicitly."""
    from langchain_ollama import ChatOllama

    offload = {} if getattr(settings, "num_gpu", None) is None else {"num_gpu": settings.num_gpu}
    return ChatOllama(
        model=name,
        base_url=settings.ollama_url,
        num_ctx=settings.num_ctx,
        temperature=settings.temperature,
        keep_alive=settings.keep_alive,
        num_predict=settings.max_tokens,
        client_kwargs={"timeout": settings.timeout_s},
        **offload,
    )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code}"
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    return str(exc) or type(exc).__name__
