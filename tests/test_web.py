"""ryx.web.web_search: retries, offline classification, disabled, and the real ddgs path."""

from __future__ import annotations

import time
from typing import Any

import pytest
from ddgs.exceptions import DDGSException, RatelimitException, TimeoutException

from ryx.web import WebHit, WebResult, web_search

ROW = {"title": "FTS5", "href": "https://sqlite.org/fts5.html", "body": "full-text search"}


class Scripted:
    """A search function that raises the given errors in turn, then returns rows."""

    def __init__(self, *errors: BaseException, rows: list[dict[str, Any]] | None = None):
        self.errors = list(errors)
        self.rows = rows if rows is not None else [ROW]
        self.calls: list[tuple[str, int]] = []

    def __call__(self, query: str, max_results: int) -> list[dict[str, Any]]:
        self.calls.append((query, max_results))
        if self.errors:
            raise self.errors.pop(0)
        return self.rows


def test_retries_until_success() -> None:
    fn = Scripted(RatelimitException("202 Ratelimit"), DDGSException("boom"))
    result = web_search("sqlite fts5", attempts=3, search_fn=fn)
    assert result.status == "ok"
    assert result.hits == (WebHit("FTS5", "https://sqlite.org/fts5.html", "full-text search"),)
    assert len(fn.calls) == 3


def test_attempts_are_a_hard_cap() -> None:
    fn = Scripted(DDGSException("boom"), DDGSException("boom again"))
    result = web_search("q", attempts=2, search_fn=fn)
    assert result.status == "error"
    assert "boom again" in result.detail and "2 attempt" in result.detail
    assert len(fn.calls) == 2


def test_single_attempt_does_not_retry() -> None:
    fn = Scripted(TimeoutException("timed out"))
    assert web_search("q", attempts=1, search_fn=fn).status == "error"
    assert len(fn.calls) == 1


def test_other_exceptions_are_not_retried_or_swallowed() -> None:
    fn = Scripted(ValueError("a bug, not the network"))
    with pytest.raises(ValueError):
        web_search("q", attempts=3, search_fn=fn)
    assert len(fn.calls) == 1


@pytest.mark.parametrize(
    "error",
    [
        DDGSException("DNSError: error sending request > error resolving DNS"),
        DDGSException("ConnectError: Connection refused"),
        OSError(101, "Network is unreachable"),
        ConnectionRefusedError(111, "refused"),
    ],
)
def test_network_failures_are_offline(error: BaseException) -> None:
    result = web_search("q", attempts=2, search_fn=Scripted(error, error))
    assert result.status == "offline"
    assert result.hits == ()
    assert str(error.args[-1]) in result.detail


def test_no_results_is_ok_and_not_retried() -> None:
    fn = Scripted(DDGSException("No results found."))
    result = web_search("q", attempts=3, search_fn=fn)
    assert (result.status, result.hits) == ("ok", ())
    assert len(fn.calls) == 1


def test_max_results_is_passed_and_honoured() -> None:
    fn = Scripted(rows=[dict(ROW, title=str(i)) for i in range(9)])
    result = web_search("q", max_results=4, search_fn=fn)
    assert fn.calls == [("q", 4)]
    assert [h.title for h in result.hits] == ["0", "1", "2", "3"]


def test_disabled_never_calls() -> None:
    fn = Scripted()
    result = web_search("q", enabled=False, search_fn=fn)
    assert result == WebResult("disabled", (), result.detail)
    assert "disabled" in result.detail
    assert fn.calls == []


def test_empty_query_is_an_error_without_a_call() -> None:
    fn = Scripted()
    assert web_search("  ", search_fn=fn).status == "error"
    assert fn.calls == []


def test_real_ddgs_answers_quickly() -> None:
    start = time.monotonic()
    result = web_search("sqlite fts5 bm25 ranking", max_results=3, attempts=2, timeout_s=3)
    elapsed = time.monotonic() - start
    assert isinstance(result, WebResult)
    assert result.status in {"ok", "offline", "error"}, result
    if result.status == "ok":
        assert all(isinstance(h, WebHit) and h.url for h in result.hits)
    else:
        assert result.detail
    if result.status == "offline":
        assert elapsed < 3, f"offline answer took {elapsed:.1f}s"
    assert elapsed < 8, f"web_search took {elapsed:.1f}s"
