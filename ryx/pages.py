"""The text of a web page that research found: fetched once (then cached), its main content
kept and its navigation, scripts and footers dropped by trafilatura."""

from __future__ import annotations

import httpx
import trafilatura

from ryx.webcache import WebCache

MAX_PAGE_BYTES = 2 * 1024 * 1024
FETCH_TIMEOUT_S = 8.0
_TEXT_TYPES = ("text/html", "application/xhtml", "text/plain", "text/markdown", "text/x-")
USER_AGENT = "ryx-research/0.1 (a local coding agent reading one page)"


def page_text(url: str, *, cache: WebCache | None = None, timeout_s: float = FETCH_TIMEOUT_S) -> str | None:
    """The readable text of `url`, or None when it cannot be fetched or holds no text.

    A page fetched within the cache's TTL is not fetched again (a failure is not cached).
    """
    stored = cache.get("page", url) if cache else None
    if stored is not None:
        return stored or None
    text = _fetch(url, timeout_s)
    if text is not None and cache:
        cache.put("page", url, text)
    return text or None


def _fetch(url: str, timeout_s: float) -> str | None:
    if not url.startswith(("http://", "https://")):
        return None
    try:
        with httpx.stream("GET", url, timeout=timeout_s, follow_redirects=True,
                          headers={"User-Agent": USER_AGENT}) as reply:
            kind = reply.headers.get("content-type", "text/html").lower()
            if reply.status_code >= 400 or not kind.startswith(_TEXT_TYPES):
                return None
            body = bytearray()
            for part in reply.iter_bytes():
                body += part
                if len(body) > MAX_PAGE_BYTES:
                    break
            encoding = reply.encoding or "utf-8"
    except (httpx.HTTPError, OSError):
        return None
    raw = body.decode(encoding, errors="replace")
    if not kind.startswith(("text/html", "application/xhtml")):
        return raw.strip()
    return (trafilatura.extract(raw, include_comments=False, include_tables=True, favor_recall=True) or "").strip()
