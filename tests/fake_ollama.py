"""A small Ollama server over real HTTP, for tests: only its replies are scripted.

Use it directly (`with FakeOllama(models=[...]) as server: ...`) or through the
`fake_ollama` fixture: `from fake_ollama import fake_ollama  # noqa: F401` in a test file.
It serves what ChatOllama and the `ollama` client call: /api/tags, /api/ps, /api/chat
(streamed NDJSON or one JSON), /api/generate (load, unload, generate), /api/show,
/api/version. `loaded` follows Ollama's rules: a chat loads its model, keep_alive 0 unloads.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

Reply = str | Callable[[dict], str]
DEFAULT_MODELS = ("qwen2.5:3b", "phi4:14b", "qwen2.5-coder:14b")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


class FakeOllama:
    """An Ollama look-alike on 127.0.0.1 (port 0) running in a background thread."""

    def __init__(self, models: Iterable[str] = DEFAULT_MODELS, delay_s: float = 0.0,
                 sizes_gb: dict[str, float] | None = None, chunk_delay_s: float = 0.0) -> None:
        self.chunk_delay_s = chunk_delay_s  # between the streamed pieces of a reply
        self.models: list[str] = list(models)
        self.sizes_gb = dict(sizes_gb or {})  # memory a loaded model takes (/api/ps); its file is 1/1.2 of it
        self.loaded: set[str] = set()
        self.requests: list[tuple[str, Any]] = []
        self.delay_s = delay_s
        self._replies: dict[str, Reply] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting ---------------------------------------------------------------------
    def script(self, model: str, reply: Reply) -> None:
        """Reply to chats with `model` (or `*` for any) with a text or f(request_body)."""
        self._replies[model] = reply

    def reply_for(self, model: str, body: dict) -> str:
        reply = self._replies.get(model, self._replies.get("*", f"reply from {model}"))
        return reply(body) if callable(reply) else reply

    def paths(self) -> list[str]:
        with self._lock:
            return [path for path, _ in self.requests]

    def bodies(self, path: str) -> list[Any]:
        with self._lock:
            return [body for p, body in self.requests if p == path]

    # -- life cycle --------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeOllama is not started; call start() first.")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self, port: int = 0) -> FakeOllama:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def outage(self, seconds: float) -> None:
        """Go away for `seconds` (connections refused), then serve again on the same port."""
        port = int(self.url.rsplit(":", 1)[1])
        self.stop()
        time.sleep(seconds)
        self.start(port)

    def __enter__(self) -> FakeOllama:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- Ollama's semantics ------------------------------------------------------------
    def record(self, path: str, body: Any) -> None:
        with self._lock:
            self.requests.append((path, body))

    def set_loaded(self, model: str, keep_alive: Any) -> bool:
        """Apply a request's keep_alive; True when it unloaded the model."""
        with self._lock:
            if keep_alive in (0, "0", "0s", "0m"):
                self.loaded.discard(model)
                return True
            self.loaded.add(model)
            return False


class _Handler(BaseHTTPRequestHandler):
    fake: FakeOllama
    protocol_version = "HTTP/1.0"

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        self.fake.record(self.path, None)
        routes = {"/api/tags": self._tags, "/api/ps": self._ps, "/api/version": self._version}
        handler = routes.get(self.path)
        if handler is None:
            self._send(404, {"error": f"no route {self.path}"})
        else:
            handler()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        self.fake.record(self.path, body)
        routes = {"/api/chat": self._chat, "/api/generate": self._generate,
                  "/api/show": self._show}
        handler = routes.get(self.path)
        if handler is None:
            self._send(404, {"error": f"no route {self.path}"})
        else:
            handler(body)

    # -- GET ---------------------------------------------------------------------------
    def _tags(self) -> None:
        models = [{**_model_entry(m), "size": int(self._bytes(m) / 1.2)} for m in self.fake.models]
        self._send(200, {"models": models})

    def _ps(self) -> None:
        models = [{**_model_entry(m), "expires_at": _now(), "size": self._bytes(m), "size_vram": self._bytes(m)}
                  for m in sorted(self.fake.loaded)]
        self._send(200, {"models": models})

    def _bytes(self, model: str) -> int:
        return int(self.fake.sizes_gb.get(model, 1e-6) * 1e9)

    def _version(self) -> None:
        self._send(200, {"version": "0.0.0-fake"})

    # -- POST --------------------------------------------------------------------------
    def _show(self, body: dict) -> None:
        model = body.get("model") or body.get("name", "")
        if not self._known(model):
            return
        self._send(200, {"modelfile": f"FROM {model}", "parameters": "", "template": "",
                         "details": _details(), "model_info": {}, "capabilities": ["completion"]})

    def _chat(self, body: dict) -> None:
        model = body.get("model", "")
        if not self._known(model):
            return
        was_loaded = model in self.fake.loaded
        self.fake.set_loaded(model, body.get("keep_alive"))
        time.sleep(self.fake.delay_s)
        text = self.fake.reply_for(model, body)
        done = {"model": model, "created_at": _now(), "done": True, "done_reason": "stop",
                "total_duration": 1000, "load_duration": 0 if was_loaded else 250_000_000,
                "prompt_eval_count": 5, "eval_count": len(text.split())}
        if body.get("stream", True):
            pieces = [text[i:i + 8] for i in range(0, len(text), 8)] or [""]
            chunks = [{"model": model, "created_at": _now(), "done": False,
                       "message": {"role": "assistant", "content": p}} for p in pieces]
            self._stream([*chunks, {**done, "message": {"role": "assistant", "content": ""}}])
        else:
            self._send(200, {**done, "message": {"role": "assistant", "content": text}})

    def _generate(self, body: dict) -> None:
        model = body.get("model", "")
        if not self._known(model):
            return
        unloaded = self.fake.set_loaded(model, body.get("keep_alive"))
        base = {"model": model, "created_at": _now(), "done": True}
        if not body.get("prompt"):
            self._send(200, {**base, "response": "", "done_reason": "unload" if unloaded else "load"})
            return
        text = self.fake.reply_for(model, body)
        if body.get("stream", True):
            self._stream([{**base, "response": text, "done": False},
                          {**base, "response": "", "done_reason": "stop"}])
        else:
            self._send(200, {**base, "response": text, "done_reason": "stop"})

    # -- plumbing ----------------------------------------------------------------------
    def _known(self, model: str) -> bool:
        if model in self.fake.models or f"{model}:latest" in self.fake.models:
            return True
        self._send(404, {"error": f"model '{model}' not found"})
        return False

    def _send(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, parts: list[dict]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.end_headers()
        for part in parts:
            self.wfile.write(json.dumps(part).encode() + b"\n")
            self.wfile.flush()
            time.sleep(self.fake.chunk_delay_s)


def _details() -> dict:
    return {"format": "gguf", "family": "fake", "parameter_size": "1B",
            "quantization_level": "Q4_0", "parent_model": "", "families": ["fake"]}


def _model_entry(name: str) -> dict:
    return {"name": name, "model": name, "modified_at": _now(), "size": 1000,
            "digest": "0" * 64, "details": _details()}


@pytest.fixture
def fake_ollama() -> Iterable[FakeOllama]:
    """A started FakeOllama with the three default models pulled; stopped afterwards."""
    with FakeOllama() as server:
        yield server
