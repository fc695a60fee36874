"""What research found, as the models see it: verbatim excerpts, each with its provenance
(`repo:path:lines` or a URL), best first, trimmed to a share of the model's context."""

from __future__ import annotations

import re
from pathlib import Path

from ryx.web import WebHit
from skills.search import Hit
from skills.search.query import identifiers
from state import Evidence

EXCERPT_LINES = 24  # of a code hit: the window of its chunk that mentions the failure most
WEB_CHARS = 1200  # of a page: its paragraphs that mention the failure most
CHARS_PER_TOKEN = 3.5  # a cautious average for code and English with these tokenizers
MIN_PART_CHARS = 160  # an excerpt cut shorter than this is left out instead

_FRAME = re.compile(r"(?:in |def |File \"[^\"]+\", line \d+, in )([A-Za-z_]\w*)")


def research_query(weakness: dict) -> str:
    """What the failure says, for the code index: the test's id and source, the names in its
    traceback, the failure and the diagnosis (the index splits identifiers on `_` and case)."""
    frames = " ".join(dict.fromkeys(_FRAME.findall(weakness["failure"])))
    return "\n".join([weakness["test_id"], frames, weakness.get("test_source", ""), weakness["failure"],
                      weakness.get("diagnosis", "")])


def code_evidence(hit: Hit, root: Path | None, query: str) -> Evidence:
    """The hit's lines read from its file (the best EXCERPT_LINES of its chunk), or its
    snippet when the file cannot be read."""
    words = identifiers(query)
    lines = _lines(root / hit.path if root else None, hit.line_start, hit.line_end)
    if not lines:
        return {"source": hit.cite(), "text": hit.snippet, "kind": "code"}
    start = _best_window(lines, words, EXCERPT_LINES)
    shown = lines[start:start + EXCERPT_LINES]
    first = hit.line_start + start
    source = f"{hit.repo}:{hit.path}:{first}-{first + len(shown) - 1}"
    return {"source": source, "text": "\n".join(shown).rstrip(), "kind": "code"}


def web_evidence(hit: WebHit, page: str | None, query: str) -> Evidence:
    """The page's paragraphs that mention the failure most (in page order), or the search
    result's own snippet when the page could not be read."""
    words = identifiers(query)
    if not page:
        return {"source": hit.url, "text": f"{hit.title}\n{hit.snippet}".strip(), "kind": "web"}
    paragraphs = [p.strip() for p in page.split("\n") if p.strip()]
    relevant = [i for i, p in enumerate(paragraphs) if _mentions(p, words)] or list(range(len(paragraphs)))
    ranked = sorted(relevant, key=lambda i: (-_mentions(paragraphs[i], words), i))
    chosen, size = [], 0
    for i in ranked:
        if size + len(paragraphs[i]) > WEB_CHARS and chosen:
            continue
        chosen.append(i)
        size += len(paragraphs[i]) + 1
    text = "\n".join(paragraphs[i] for i in sorted(chosen))[:WEB_CHARS]
    title = "" if text.startswith(hit.title) else hit.title
    return {"source": hit.url, "text": f"{title}\n{text}".strip(), "kind": "web"}


def distinct(items: list[Evidence]) -> list[Evidence]:
    """Each excerpt once: the same text found twice (a copy of a repo, say) keeps its first."""
    seen: set[str] = set()
    kept = []
    for item in items:
        key = " ".join(item["text"].split())
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return kept


def budget_chars(context_tokens: int, share: float) -> int:
    return int(context_tokens * share * CHARS_PER_TOKEN)


def fit(items: list[Evidence], chars: int) -> list[Evidence]:
    """The first items that fit in `chars` (the last one cut at a line if that leaves enough)."""
    kept: list[Evidence] = []
    left = chars
    for item in items:
        cost = len(item["source"]) + len(item["text"]) + 16
        if cost <= left:
            kept.append(item)
            left -= cost
            continue
        room = left - len(item["source"]) - 16
        if room >= MIN_PART_CHARS:
            cut = item["text"][:room].rsplit("\n", 1)[0]
            kept.append({**item, "text": cut + "\n..."})
        break
    return kept


def format_evidence(items: list[Evidence]) -> str:
    """Numbered excerpts, each under its provenance; "(none)" when research found nothing."""
    if not items:
        return "(none)"
    blocks = []
    for n, item in enumerate(items, 1):
        body = f"```\n{item['text']}\n```" if item["kind"] == "code" else item["text"]
        blocks.append(f"[{n}] {item['source']}\n{body}")
    return "\n\n".join(blocks)


def _lines(path: Path | None, start: int, end: int) -> list[str]:
    if path is None:
        return []
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return text.splitlines()[start - 1:end]


def _mentions(line: str, words: list[str]) -> int:
    low = line.lower()
    return sum(w in low for w in words)


def _best_window(lines: list[str], words: list[str], size: int) -> int:
    """Where the `size`-line window that mentions `words` most begins (0 when all fit)."""
    if len(lines) <= size:
        return 0
    scores = [_mentions(line, words) for line in lines]
    best, best_at = -1, 0
    for at in range(len(lines) - size + 1):
        total = sum(scores[at:at + size])
        if total > best:
            best, best_at = total, at
    return best_at
