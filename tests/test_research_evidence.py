"""Research reaches the coding prompt: a repo found under the home (no roots configured), a
web page from a search engine the test serves, and a clone that waits for approval.

Real runs over real HTTP (an Ollama-protocol server and a SearXNG-protocol search engine,
both started here); only the models' replies are scripted.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fake_ollama import FakeOllama
from fake_web import FakeWeb
from loop_helpers import RYX_ROOT, cli_env, git, make_target, sr

CODER = "qwen2.5-coder:14b"
SLUG = 'import re\n\n\ndef slugify(text):\n    return text.lower()\n'
BENCH = '''import pytest

from slug import slugify


@pytest.mark.points(2, category="text")
def test_slugify_joins_words_with_dashes():
    assert slugify("Hello, World!") == "hello-world"


@pytest.mark.points(1, category="text")
def test_slugify_keeps_a_plain_word():
    assert slugify("abc") == "abc"
'''
TEXTKIT = '''"""Slugs for URLs."""
import re

_NON_WORD = re.compile(r"[^a-z0-9]+")  # textkit-slug-marker


def slugify(text):
    """'Hello, World!' -> 'hello-world'"""
    return _NON_WORD.sub("-", text.lower()).strip("-")
'''
FIXED_BODY = 'return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")'
SR_FIX = sr("slug.py", "    return text.lower()", f"    {FIXED_BODY}")
FUNCTION_FIX = f"```python\ndef slugify(text):\n    {FIXED_BODY}\n```\n"
WRONG = sr("slug.py", "    return text.lower()", "    return text.lower().replace(' ', '-')")
PAGE = """<html><head><title>Slugs</title><script>track()</script></head><body>
<nav>home | blog | about</nav><article><h1>Making a URL slug in Python</h1>
<p>To slugify a title, lower-case it, replace every run of characters outside a-z and 0-9
with one dash, then strip dashes from both ends: re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-").
This is the textkit-web-marker paragraph.</p><p>Unrelated paragraph about cooking pasta.</p>
</article><footer>copyright nobody</footer></body></html>"""


def _project(tmp_path: Path, ryx: str) -> Path:
    pyproject = ('[tool.pytest.ini_options]\nmarkers = ["points(n, category): benchmark points"]\n\n'
                 '[tool.ryx.models]\nsamples = 1\n' + ryx)
    return make_target(tmp_path / "proj", {"slug.py": SLUG, "benchmark/test_slug.py": BENCH,
                                           "pyproject.toml": pyproject})


def _library(home: Path) -> Path:
    lib = make_target(home / "work" / "libs" / "textkit", {
        "textkit/__init__.py": "", "textkit/slugs.py": TEXTKIT,
        "textkit/numbers.py": "def clamp(x, lo, hi):\n    return max(lo, min(x, hi))\n",
        "README.md": "textkit: slugify and other small helpers for text.\n"})
    return lib


def _run(target: Path, tmp_path: Path, server: FakeOllama, *extra: str) -> subprocess.CompletedProcess:
    env = {**cli_env(tmp_path / "ryxhome"), "OLLAMA_HOST": server.url, "HOME": str(tmp_path / "user")}
    cmd = [sys.executable, "-m", "graph.run", "--target", str(target), "--provider", "ollama",
           "--db", str(tmp_path / "db.sqlite"), *extra]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=RYX_ROOT, timeout=240,
                          stdin=subprocess.DEVNULL)


def _ryx(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**cli_env(tmp_path / "ryxhome"), "HOME": str(tmp_path / "user")}
    return subprocess.run([sys.executable, "-m", "graph.cli", *args, "--db", str(tmp_path / "db.sqlite")],
                          capture_output=True, text=True, env=env, cwd=RYX_ROOT, timeout=120)


def _coding_prompts(server: FakeOllama) -> list[str]:
    return [b["messages"][-1]["content"] for b in server.bodies("/api/chat") if b["model"] == CODER]


@pytest.mark.parametrize("edit_format,fix", [("search_replace", SR_FIX), ("whole_function", FUNCTION_FIX)])
def test_a_repo_found_under_home_reaches_the_first_coding_prompt(tmp_path, edit_format, fix):
    _library(tmp_path / "user")
    target = _project(tmp_path, f'\n[tool.ryx.loop]\nedit_format = "{edit_format}"\n')
    with FakeOllama() as server:
        server.script(CODER, fix)
        server.script("*", "slugify must join the words with dashes.")
        result = _run(target, tmp_path, server, "--offline")
        prompts = _coding_prompts(server)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "approach 1/3 (local): ok" in result.stdout
    first = prompts[0]
    assert "~/work/libs/textkit:textkit/slugs.py:" in first, first
    assert "_NON_WORD = re.compile(r\"[^a-z0-9]+\")  # textkit-slug-marker" in first
    assert git(target, "rev-list", "--count", "main..ryx/improve").strip() == "1"
    listing = _ryx(tmp_path, "repos")
    assert listing.returncode == 0, listing.stderr
    assert "~/work/libs/textkit  [repo]  indexed 20" in listing.stdout, listing.stdout


def test_a_web_result_reaches_the_second_approach_and_a_clone_waits_for_approval(tmp_path):
    bare = tmp_path / "forge" / "textkit.git"
    lib = _library(tmp_path / "elsewhere")
    git(tmp_path, "clone", "-q", "--bare", str(lib), str(bare))
    results = [{"title": "Making a URL slug in Python", "url": "{base}/slugify.html",
                "content": "lower-case, dashes between words"},
               {"title": "textkit", "url": f"file://{bare}", "content": "a library of text helpers"}]
    with FakeWeb(results, {"/slugify.html": PAGE}) as web, FakeOllama() as server:
        target = _project(tmp_path, f'\n[tool.ryx.research]\nsearx_url = "{web.url}"\n')
        server.script(CODER, lambda body: SR_FIX if "textkit-web-marker" in str(body) else WRONG)
        server.script("*", "slugify must join the words with dashes.")
        result = _run(target, tmp_path, server)
        prompts = _coding_prompts(server)
        searches, page_reads = web.searches(), web.fetched("/slugify.html")
        page_url = f"{web.url}/slugify.html"
    assert result.returncode == 0, result.stderr + result.stdout
    assert "approach 2/3 (online): ok" in result.stdout, result.stdout
    approach_two = [p for p in prompts if page_url in p]
    assert approach_two and "textkit-web-marker" in approach_two[0]
    assert "cooking pasta" not in approach_two[0] and "track()" not in approach_two[0]
    assert not any("textkit-web-marker" in p for p in prompts[: len(prompts) - len(approach_two)])
    assert (len(searches), page_reads) == (1, 1)
    assert git(target, "rev-list", "--count", "main..ryx/improve").strip() == "1"

    clones = tmp_path / "ryxhome" / "clones"
    listing = _ryx(tmp_path, "approvals", "--target", str(target))
    assert f"pending: file://{bare}" in listing.stdout, listing.stdout
    assert not clones.exists()
    clone_id = next(w for w in listing.stdout.split() if w.startswith("clone-"))
    approved = _ryx(tmp_path, "approve", clone_id, "--target", str(target))
    assert approved.returncode == 0, approved.stderr
    cloned = next(clones.iterdir())
    assert (cloned / "textkit" / "slugs.py").read_text() == TEXTKIT
    assert "[clone]" in _ryx(tmp_path, "repos").stdout
    again = _ryx(tmp_path, "approvals", "--target", str(target))
    assert f"{clone_id} cloned: file://{bare} at {cloned}" in again.stdout
