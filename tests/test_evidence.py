"""Evidence for the prompts: excerpts read from files with their provenance, page paragraphs,
trimming to a budget, and the queries research builds from a failure."""

from __future__ import annotations

from pathlib import Path

from nodes.evidence import (
    budget_chars,
    code_evidence,
    distinct,
    fit,
    format_evidence,
    research_query,
    web_evidence,
)
from nodes.online_research.query import web_query
from ryx.web import WebHit
from skills.search import Hit

FAILURE = '''benchmark/test_slug.py:8: in test_slug
    assert slugify("Hello, World!") == "hello-world"
  File "/w/slug.py", line 5, in slugify
E   AssertionError: assert 'hello, world!' == 'hello-world'
'''
WEAKNESS = {"test_id": "benchmark/test_slug.py::test_slug", "failure": FAILURE, "diagnosis": "joins words",
            "test_source": 'def test_slug():\n    assert slugify("Hello, World!") == "hello-world"\n'}


def test_code_evidence_reads_the_best_window_of_the_file(tmp_path: Path) -> None:
    lines = [f"filler_{i} = {i}" for i in range(30)] + ["def slugify(text):", "    return text"]
    lines += [f"other_{i} = {i}" for i in range(8)]
    (tmp_path / "slugs.py").write_text("\n".join(lines) + "\n")
    hit = Hit("~/work/libs/tk", "slugs.py", 1, 40, 3.0, "def slugify(text):")
    item = code_evidence(hit, tmp_path, "slugify text")
    first = int(item["source"].rsplit(":", 1)[1].split("-")[0])
    assert item["source"].startswith("~/work/libs/tk:slugs.py:")
    assert "def slugify(text):\n    return text" in item["text"]
    assert len(item["text"].splitlines()) == 24 and first > 1
    assert item["text"].splitlines()[0] == lines[first - 1]  # the numbers cite the lines shown


def test_code_evidence_falls_back_to_the_snippet_when_the_file_is_gone(tmp_path: Path) -> None:
    hit = Hit("r", "gone.py", 3, 9, 1.0, "def f(): pass")
    assert code_evidence(hit, tmp_path, "f") == {"source": "r:gone.py:3-9", "text": "def f(): pass", "kind": "code"}


def test_web_evidence_keeps_the_relevant_paragraphs() -> None:
    page = "Slugs\nHow to slugify a title: dashes between words.\nA recipe for pasta.\nslugify keeps digits."
    item = web_evidence(WebHit("Slugs", "https://x.org/s", "snippet"), page, research_query(WEAKNESS))
    assert item["source"] == "https://x.org/s"
    assert "dashes between words" in item["text"] and "slugify keeps digits" in item["text"]
    assert "pasta" not in item["text"]
    assert web_evidence(WebHit("T", "u", "only the snippet"), None, "q")["text"] == "T\nonly the snippet"


def test_fit_keeps_order_cuts_the_last_at_a_line_and_drops_what_cannot_fit() -> None:
    items = [{"source": "a", "text": "x" * 100, "kind": "code"},
             {"source": "b", "text": "\n".join(["line of code"] * 40), "kind": "code"},
             {"source": "c", "text": "never shown", "kind": "web"}]
    kept = fit(items, 400)
    assert [k["source"] for k in kept] == ["a", "b"]
    assert kept[1]["text"].endswith("\n...") and len(kept[1]["text"]) < 300
    assert fit(items, 50) == []
    assert budget_chars(8192, 0.25) == 7168


def test_distinct_and_format() -> None:
    same = "def f():\n    return 1"
    items = [{"source": "a:f.py:1-2", "text": same, "kind": "code"},
             {"source": "b:f.py:1-2", "text": same + "\n", "kind": "code"},
             {"source": "https://x.org", "text": "prose", "kind": "web"}]
    kept = distinct(items)
    assert [k["source"] for k in kept] == ["a:f.py:1-2", "https://x.org"]
    assert format_evidence(kept) == f"[1] a:f.py:1-2\n```\n{same}\n```\n\n[2] https://x.org\nprose"
    assert format_evidence([]) == "(none)"


def test_queries_come_from_the_failure() -> None:
    query = research_query(WEAKNESS)
    assert query.splitlines()[0] == WEAKNESS["test_id"] and "slugify" in query.splitlines()[1]
    assert web_query(WEAKNESS) == "python AssertionError: assert 'hello, world!' == 'hello-world'"
    key_error = {**WEAKNESS, "failure": "E   KeyError: 'price'\nsomething else"}
    assert web_query(key_error) == "python KeyError: 'price'"
