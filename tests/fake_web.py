"""A small search engine and web site over real HTTP, for tests: SearXNG's JSON API at
/search (the results are scripted) and the pages those results link to."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


class FakeWeb:
    """`results`: [{"title", "url", "content"}] for every query; `pages`: path -> HTML.
    A result's url may use `{base}`, filled in with this server's address."""

    def __init__(self, results: list[dict[str, str]], pages: dict[str, str] | None = None) -> None:
        self.results, self.pages = results, pages or {}
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "FakeWeb is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def searches(self) -> list[str]:
        with self._lock:
            return [p for p in self.requests if p.startswith("/search")]

    def fetched(self, path: str) -> int:
        with self._lock:
            return self.requests.count(path)

    def __enter__(self) -> FakeWeb:
        handler = type("Handler", (_Handler,), {"web": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def record(self, path: str) -> None:
        with self._lock:
            self.requests.append(path)


class _Handler(BaseHTTPRequestHandler):
    web: FakeWeb

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.web.record(self.path)
        url = urlparse(self.path)
        if url.path == "/search":
            query = parse_qs(url.query)
            if query.get("format") != ["json"] or not query.get("q"):
                return self._send(400, "text/plain", "format=json and q are required")
            rows = [{k: v.replace("{base}", self.web.url) for k, v in r.items()} for r in self.web.results]
            return self._send(200, "application/json", json.dumps({"query": query["q"][0], "results": rows}))
        page = self.web.pages.get(url.path)
        if page is None:
            return self._send(404, "text/plain", "no such page")
        return self._send(200, "text/html; charset=utf-8", page)

    def _send(self, status: int, kind: str, body: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
