"""Online research: a web search (ddgs, or a SearXNG instance the user runs) that reports
offline instead of failing, with its results cached for a while."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from ddgs import DDGS
from ddgs.exceptions import DDGSException
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from ryx.webcache import WebCache

SearchFn = Callable[[str, int], list[dict[str, Any]]]

# What a network failure looks like in ddgs's messages (it wraps its HTTP client's errors).
_OFFLINE = re.compile(
    r"dns|resolv|name or service not known|nodename nor servname|getaddrinfo|connect|"
    r"network is unreachable|no route to host|unreachable|error sending request",
    re.IGNORECASE,
)
_NO_RESULTS = re.compile(r"no results found", re.IGNORECASE)


@dataclass(frozen=True)
class WebHit:
    title: str
    url: str
    snippet: str


@dataclass(frozen=True)
class WebResult:
    """The outcome of one web search; `detail` says why when status is not "ok"."""

    status: Literal["ok", "offline", "error", "disabled"]
    hits: tuple[WebHit, ...]
    detail: str
    cached: bool = False


def web_search(
    query: str,
    *,
    max_results: int = 5,
    attempts: int = 2,
    timeout_s: float = 10,
    enabled: bool = True,
    searx_url: str | None = None,
    cache: WebCache | None = None,
    search_fn: SearchFn | None = None,
) -> WebResult:
    """Search the web for `query`; never raises for network trouble.

    Asks SearXNG at `searx_url` when given, else ddgs. A result in `cache` younger than its
    TTL answers without a request; a fresh "ok" is stored there, an "offline" recorded.
    Tries up to `attempts` times on search and OS errors, with a short backoff, but never
    again once the network is known to be down; the last error decides the status. `search_fn`
    (query, max_results) -> ddgs-style dicts replaces the real call, for tests only.
    """
    if not enabled:
        return WebResult("disabled", (), "web search is disabled; enable online research to use it")
    if not query.strip():
        return WebResult("error", (), "web search got an empty query; pass the words to look up")
    key = f"{searx_url or 'ddgs'}|{max_results}|{query}"
    stored = cache.get("search", key) if cache else None
    if stored is not None:
        hits = tuple(WebHit(**h) for h in stored)
        return WebResult("ok", hits, f"{len(hits)} result(s), cached", cached=True)
    search = search_fn or (_searx_search(searx_url, timeout_s) if searx_url else _ddgs_search(timeout_s))
    try:
        rows = _with_retries(search, query, max_results, attempts)
    except (DDGSException, httpx.HTTPError, OSError) as exc:
        result = _failure(exc, attempts)
        if cache and result.status == "offline":
            cache.record("offline", result.detail)
        return result
    hits = tuple(_hit(r) for r in rows[:max_results])
    if cache:
        cache.put("search", key, [h.__dict__ for h in hits])
    return WebResult("ok", hits, f"{len(hits)} result(s)")


def _ddgs_search(timeout_s: float) -> SearchFn:
    def search(query: str, max_results: int) -> list[dict[str, Any]]:
        return DDGS(timeout=timeout_s).text(query, max_results=max_results)  # type: ignore[arg-type]

    return search


def _searx_search(url: str, timeout_s: float) -> SearchFn:
    """SearXNG's JSON API (`/search?q=...&format=json`; the instance must allow json)."""
    def search(query: str, max_results: int) -> list[dict[str, Any]]:
        reply = httpx.get(f"{url.rstrip('/')}/search", params={"q": query, "format": "json"},
                          timeout=timeout_s, follow_redirects=True)
        reply.raise_for_status()
        rows = reply.json().get("results", [])
        return [{"title": r.get("title", ""), "href": r.get("url", ""), "body": r.get("content", "")}
                for r in rows[:max_results]]

    return search


def _retryable(exc: BaseException) -> bool:
    if not isinstance(exc, (DDGSException, httpx.HTTPError, OSError)) or _NO_RESULTS.search(str(exc)):
        return False
    return not _offline(exc)  # a machine without a network will not have one in 200 ms


def _offline(exc: BaseException) -> bool:
    return isinstance(exc, (ConnectionError, httpx.ConnectError)) or bool(_OFFLINE.search(str(exc)))


def _with_retries(
    search: SearchFn, query: str, max_results: int, attempts: int
) -> list[dict[str, Any]]:
    retrying = Retrying(
        stop=stop_after_attempt(max(attempts, 1)),
        wait=wait_exponential(multiplier=0.2, max=1.0),
        retry=retry_if_exception(_retryable),
        reraise=True,
    )
    return list(retrying(search, query, max_results))


def _failure(exc: BaseException, attempts: int) -> WebResult:
    reason = f"{type(exc).__name__}: {exc}"
    if _NO_RESULTS.search(str(exc)):
        return WebResult("ok", (), "no results found")
    if _offline(exc):
        return WebResult(
            "offline", (), f"no network ({reason}); research goes on with local sources"
        )
    return WebResult(
        "error", (), f"web search failed after {attempts} attempt(s): {reason}; "
        "try again later or rephrase the query"
    )


def _hit(row: dict[str, Any]) -> WebHit:
    return WebHit(
        title=str(row.get("title", "")),
        url=str(row.get("href") or row.get("url") or ""),
        snippet=str(row.get("body") or row.get("snippet") or ""),
    )
