"""Online research over real HTTP: SearXNG's API served by the test, the SQLite cache and its
TTL, page text, and the real ddgs path where the network allows it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fake_web import FakeWeb

from ryx.pages import page_text
from ryx.web import web_search
from ryx.webcache import WebCache

RESULTS = [{"title": "Slugs", "url": "{base}/slug.html", "content": "lower-case and dashes"}]
PAGE = ('<html><head><title>Slugs</title></head><body><nav><ul><li><a href="/">Home</a></li>'
        '<li><a href="/blog">Blog menu</a></li></ul></nav><article><h1>Slugs</h1><p>Replace runs of '
        "other characters with one dash. Lower-case the text first, then strip the dashes at both ends."
        "</p></article><script>var tracking = 1;</script><footer><a href='/c'>copyright</a></footer>"
        "</body></html>")


def test_a_repeated_query_within_the_ttl_makes_no_request(tmp_path: Path) -> None:
    with FakeWeb(RESULTS) as web, WebCache(tmp_path / "web.sqlite") as cache:
        first = web_search("python slugify", searx_url=web.url, cache=cache)
        again = web_search("python slugify", searx_url=web.url, cache=cache)
        other = web_search("python other words", searx_url=web.url, cache=cache)
        assert len(web.searches()) == 2
    assert first.status == "ok" and not first.cached
    assert again.cached and again.hits == first.hits
    assert first.hits[0].url.endswith("/slug.html") and not other.cached


def test_after_the_ttl_the_query_is_asked_again(tmp_path: Path) -> None:
    with FakeWeb(RESULTS) as web, WebCache(tmp_path / "web.sqlite", ttl_s=0.05) as cache:
        web_search("python slugify", searx_url=web.url, cache=cache)
        time.sleep(0.1)
        assert not web_search("python slugify", searx_url=web.url, cache=cache).cached
        assert len(web.searches()) == 2


def test_the_cache_outlives_its_process(tmp_path: Path) -> None:
    with FakeWeb(RESULTS) as web:
        with WebCache(tmp_path / "web.sqlite") as cache:
            web_search("python slugify", searx_url=web.url, cache=cache)
        with WebCache(tmp_path / "web.sqlite") as cache:
            assert web_search("python slugify", searx_url=web.url, cache=cache).cached
        assert len(web.searches()) == 1


def test_offline_is_recorded_and_answered_at_once(tmp_path: Path) -> None:
    with FakeWeb(RESULTS) as web:
        gone = web.url
    with WebCache(tmp_path / "web.sqlite") as cache:
        started = time.monotonic()
        result = web_search("python slugify", searx_url=gone, cache=cache, attempts=3)
        elapsed = time.monotonic() - started
        recorded = cache.last("offline")
    assert result.status == "offline" and elapsed < 1.0
    assert recorded and "research goes on with local sources" in recorded[1]


def test_page_text_keeps_the_main_content_and_is_cached(tmp_path: Path) -> None:
    with FakeWeb(RESULTS, {"/slug.html": PAGE}) as web, WebCache(tmp_path / "web.sqlite") as cache:
        text = page_text(f"{web.url}/slug.html", cache=cache)
        assert page_text(f"{web.url}/slug.html", cache=cache) == text
        assert web.fetched("/slug.html") == 1
        assert page_text(f"{web.url}/missing.html", cache=cache) is None
        assert page_text("file:///etc/passwd", cache=cache) is None
    assert "Replace runs of other characters with one dash." in text
    assert "tracking" not in text and "menu" not in text and "copyright" not in text


def test_real_ddgs_and_a_real_page(tmp_path: Path) -> None:
    with WebCache(tmp_path / "web.sqlite") as cache:
        result = web_search("sqlite fts5 bm25", max_results=3, timeout_s=5, cache=cache)
        if result.status == "offline":
            pytest.skip(f"no network here: {result.detail}")
        if result.status != "ok" or not result.hits:
            pytest.skip(f"the search engine did not answer: {result.detail}")
        texts = [page_text(h.url, cache=cache) for h in result.hits]
    assert any(t and len(t) > 200 for t in texts), [h.url for h in result.hits]
