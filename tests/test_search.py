"""skills.search: indexing real git repos in SQLite FTS5 and finding the right lines."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from skills.search import CodeIndex, Hit, query_terms
from skills.search.query import camel_pieces
from skills.search.rank import mentions

RETRY_PY = '''"""Retrying flaky calls."""

import time


class RetryPolicy:
    """How often and how long to wait between attempts."""

    def __init__(self, attempts: int = 3, delay_s: float = 0.5) -> None:
        self.attempts = attempts
        self.delay_s = delay_s


def call_with_retry(fn, policy: RetryPolicy):
    for attempt in range(policy.attempts):
        try:
            return fn()
        except ConnectionError:
            time.sleep(policy.delay_s * 2 ** attempt)
    raise RuntimeError("gave up after retries")
'''

CONFIG_PY = '''"""Loading settings."""

import tomllib


def load_settings(path):
    with open(path, "rb") as fh:
        return tomllib.load(fh)
'''


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def make_repo(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q")
    git(root, "config", "user.name", "Test")
    git(root, "config", "user.email", "test@example.com")
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    return root


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    long_lines = "".join(f"value_{i} = {i}\n" for i in range(1, 120))
    long_lines += "def needle_function():\n    return 'found'\n"
    return make_repo(
        tmp_path / "app",
        {
            "app/retry.py": RETRY_PY,
            "app/config.py": CONFIG_PY,
            "app/long_module.py": long_lines,
            "README.md": "# App\nA small app that retries flaky network calls.\n",
        },
    )


@pytest.fixture()
def index(tmp_path: Path):
    ix = CodeIndex(tmp_path / "index.sqlite")
    yield ix
    ix.close()


def paths(index: CodeIndex, query: str) -> list[str]:
    return [h.path for h in index.search(query)]


def bump(path: Path, text: str) -> None:
    """Rewrite a file and move its mtime, so a change is seen even within one clock tick."""
    path.write_text(text)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))


def test_indexes_a_git_repo_and_finds_a_class(index: CodeIndex, repo: Path) -> None:
    assert index.update("app", repo) == 4
    hits = index.search("RetryPolicy")
    assert hits and hits[0].path == "app/retry.py"
    assert hits[0].repo == "app"
    assert "class RetryPolicy" in hits[0].snippet


def test_git_repo_skips_ignored_and_includes_untracked(index: CodeIndex, repo: Path) -> None:
    (repo / ".gitignore").write_text("build/\n")
    (repo / "build").mkdir()
    (repo / "build" / "generated.py").write_text("def quuxgenerated(): pass\n")
    (repo / "app" / "fresh.py").write_text("def quuxfresh(): pass\n")
    index.update("app", repo)
    assert index.search("quuxgenerated") == []
    assert paths(index, "quuxfresh") == ["app/fresh.py"]


def test_walks_a_plain_folder_skipping_venvs_and_binaries(index: CodeIndex, tmp_path: Path) -> None:
    root = tmp_path / "plain"
    (root / ".venv" / "lib").mkdir(parents=True)
    (root / ".venv" / "lib" / "site.py").write_text("def venvonly(): pass\n")
    (root / "node_modules").mkdir()
    (root / "node_modules" / "x.js").write_text("function nodeonly() {}\n")
    (root / "blob.bin").write_bytes(b"binaryonly\0\x01\x02")
    (root / "big.txt").write_text("hugeonly\n" * 70_000)
    (root / "main.py").write_text("def realsymbol(): pass\n")
    assert index.update("plain", root) == 1
    for query in ("venvonly", "nodeonly", "binaryonly", "hugeonly"):
        assert index.search(query) == [], query
    assert paths(index, "realsymbol") == ["main.py"]


def test_update_is_incremental(index: CodeIndex, repo: Path) -> None:
    assert index.update("app", repo) == 4
    assert index.update("app", repo) == 0
    bump(repo / "app" / "config.py", CONFIG_PY + "\n\ndef save_settings(path, data):\n    pass\n")
    assert index.update("app", repo) == 1
    assert index.search("save_settings")[0].path == "app/config.py"
    (repo / "app" / "retry.py").unlink()
    assert index.update("app", repo) == 0
    assert "app/retry.py" not in paths(index, "RetryPolicy")


def test_touched_but_identical_file_is_not_reindexed(index: CodeIndex, repo: Path) -> None:
    index.update("app", repo)
    bump(repo / "README.md", (repo / "README.md").read_text())
    assert index.update("app", repo) == 0


def test_changed_file_drops_its_old_text(index: CodeIndex, repo: Path) -> None:
    index.update("app", repo)
    bump(repo / "app" / "config.py", '"""Loading settings."""\n\ndef read_options(path):\n    pass\n')
    index.update("app", repo)
    assert index.search("tomllib") == []
    assert index.search("read_options")[0].path == "app/config.py"


def test_explicit_files_update_only_those(index: CodeIndex, repo: Path) -> None:
    index.update("app", repo)
    bump(repo / "app" / "config.py", "def onlyconfigx(): pass\n")
    bump(repo / "app" / "retry.py", "def onlyretryx(): pass\n")
    assert index.update("app", repo, files=["app/config.py"]) == 1
    assert paths(index, "onlyconfigx") == ["app/config.py"]
    assert index.search("onlyretryx") == []
    (repo / "app" / "config.py").unlink()
    index.update("app", repo, files=["app/config.py"])
    assert index.search("onlyconfigx") == []
    assert index.search("README")  # other files are untouched


def test_explicit_file_outside_root_is_refused(index: CodeIndex, repo: Path) -> None:
    with pytest.raises(ValueError, match="outside the repository root"):
        index.update("app", repo, files=["../elsewhere.py"])


def test_missing_root_names_it(index: CodeIndex, tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError, match="nowhere"):
        index.update("x", tmp_path / "nowhere")


def test_hits_carry_the_lines_of_their_chunk(index: CodeIndex, repo: Path) -> None:
    index.update("app", repo)
    hit = index.search("needle_function")[0]
    text = (repo / "app" / "long_module.py").read_text().splitlines()
    needle_line = text.index("def needle_function():") + 1
    assert hit.line_start <= needle_line <= hit.line_end
    assert hit.line_end - hit.line_start < 40
    assert hit.line_end == len(text)
    assert hit.cite() == f"app:app/long_module.py:{hit.line_start}-{hit.line_end}"
    assert "needle_function" in hit.snippet


def test_first_chunk_starts_at_line_one(index: CodeIndex, repo: Path) -> None:
    index.update("app", repo)
    hit = index.search("value_1")[0]
    assert (hit.path, hit.line_start, hit.line_end) == ("app/long_module.py", 1, 40)


@pytest.mark.parametrize(
    "query",
    [
        '"unterminated', "a AND", "OR OR NOT", "NEAR(", "*", "retry*", "path:config",
        "(((", ")", "^start", "col:val AND -x", "'; DROP TABLE files; --", "", "   ",
        "\x00\x01", "🙂 émoji naïve", "{}[]<>|\\", 'File "x.py", line 3, in <module>',
    ],
)
def test_hostile_queries_never_raise(index: CodeIndex, repo: Path, query: str) -> None:
    index.update("app", repo)
    assert isinstance(index.search(query), list)
    assert index.search("RetryPolicy")  # the index survived


def test_operator_words_are_plain_words(index: CodeIndex, repo: Path) -> None:
    index.update("app", repo)
    hits = index.search("RetryPolicy NOT config")
    assert hits[0].path == "app/retry.py"


def test_repo_filter(index: CodeIndex, repo: Path, tmp_path: Path) -> None:
    other = make_repo(tmp_path / "other", {"lib/retry.py": "class RetryPolicy:\n    pass\n"})
    index.update("app", repo)
    index.update("other", other)
    assert {h.repo for h in index.search("RetryPolicy")} == {"app", "other"}
    assert {h.repo for h in index.search("RetryPolicy", repos=["other"])} == {"other"}
    assert index.search("RetryPolicy", repos=[]) == []
    assert index.search("RetryPolicy", repos=["missing"]) == []


def test_one_hit_per_file_and_limit(index: CodeIndex, repo: Path) -> None:
    index.update("app", repo)
    hits = index.search("value_1 value_100 retry settings", limit=2)
    assert len(hits) == 2
    assert len({(h.repo, h.path) for h in hits}) == 2
    assert hits[0].score >= hits[1].score


def test_path_name_match_is_boosted(index: CodeIndex, tmp_path: Path) -> None:
    root = make_repo(
        tmp_path / "boost",
        {
            "app/billing.py": "def charge(card):\n    return card\n",
            "app/notes.py": "# billing billing billing is handled elsewhere\nx = 1\n",
        },
    )
    index.update("boost", root)
    assert index.search("billing")[0].path == "app/billing.py"


def test_index_persists_across_instances(repo: Path, tmp_path: Path) -> None:
    db = tmp_path / "persist.sqlite"
    with CodeIndex(db) as first:
        first.update("app", repo)
    with CodeIndex(db) as second:
        assert second.update("app", repo) == 0
        assert isinstance(second.search("RetryPolicy")[0], Hit)


def test_memory_database(repo: Path) -> None:
    with CodeIndex(":memory:") as ix:
        assert ix.update("app", repo) == 4


def test_query_terms_splits_identifiers() -> None:
    expr = query_terms("RetryPolicy failed in parse_config: the HTTPServer said")
    terms = expr.split(" OR ")
    for term in ("retrypolicy", "retry", "policy", "parse_config", "parse", "config",
                 "httpserver", "http", "server", "failed", "said"):
        assert f'"{term}"' in terms, term
    assert '"the"' not in terms and '"in"' not in terms


def test_query_terms_of_nothing_is_empty() -> None:
    assert query_terms("the and of ((( *** ") == ""


def test_traceback_ranks_the_innermost_named_file_first(index: CodeIndex, tmp_path: Path) -> None:
    root = make_repo(
        tmp_path / "tb",
        {
            "svc/handler.py": "from svc.store import save\n\ndef handle(request):\n"
            "    record = request.record\n    save(record)\n    return record\n",
            "svc/store.py": "def save(record):\n    return record.key + 1\n",
        },
    )
    index.update("tb", root)
    traceback = (
        'Traceback (most recent call last):\n'
        f'  File "{root}/svc/handler.py", line 5, in handle\n    save(record)\n'
        f'  File "{root}/svc/store.py", line 2, in save\n    return record.key + 1\n'
        "TypeError: can only concatenate str (not \"int\") to str\n"
    )
    assert paths(index, traceback)[:2] == ["svc/store.py", "svc/handler.py"]


def test_failing_test_points_at_the_module_it_tests(index: CodeIndex, tmp_path: Path) -> None:
    root = make_repo(
        tmp_path / "ft",
        {
            "pkg/invoice.py": "def total(lines):\n    return sum(lines)\n",
            "pkg/report.py": "def total_report(rows):\n    return rows\n# test total assert\n",
            "tests/test_invoice.py": "from pkg.invoice import total\n\n"
            "def test_total_of_nothing():\n    assert total([]) == 0\n",
        },
    )
    index.update("ft", root)
    failure = "FAILED tests/test_invoice.py::test_total_of_nothing - assert 1 == 0"
    assert paths(index, failure)[:2] == ["tests/test_invoice.py", "pkg/invoice.py"]


def test_definition_outranks_mere_uses(index: CodeIndex, tmp_path: Path) -> None:
    uses = "from lib.shapes import Polygon\n\n" + "".join(
        f"shape_{i} = Polygon({i})\n" for i in range(6)
    )
    root = make_repo(
        tmp_path / "defs",
        {"app/main.py": uses, "lib/shapes.py": "class Polygon:\n    def __init__(self, n):\n"
         "        self.n = n\n"},
    )
    index.update("defs", root)
    assert paths(index, "Polygon")[0] == "lib/shapes.py"


def test_index_of_an_older_layout_is_rebuilt(repo: Path, tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite"
    conn = sqlite3.connect(db)
    conn.executescript(
        "CREATE TABLE files(repo, path, size, mtime_ns, sha);"
        "CREATE VIRTUAL TABLE chunks USING fts5(name, text, terms);"
        "PRAGMA user_version = 1;"
    )
    conn.close()
    with CodeIndex(db) as ix:
        assert ix.update("app", repo) == 4
        assert paths(ix, "RetryPolicy")[0] == "app/retry.py"


def test_mentions_reads_paths_modules_and_tested_modules() -> None:
    seen = mentions(
        'File "/srv/app/models/order.py", line 3, in total\n'
        "FAILED tests/test_cart.py::test_add - from shop.views import x"
    )
    named = [p for p, _ in seen.paths]
    assert "srv/app/models/order.py" in named
    assert "tests/test_cart.py" in named
    assert "shop/views.py" in named
    assert "order/py.py" not in named
    assert seen.subjects == ("cart.py",)
    where = dict(seen.paths)
    assert where["srv/app/models/order.py"] < where["tests/test_cart.py"]


def test_camelcase_words_are_found_by_their_pieces(index: CodeIndex, tmp_path: Path) -> None:
    root = make_repo(
        tmp_path / "camel",
        {"lib/parsing.py": "class XmlTokenizer:\n    pass\n", "lib/other.py": "x = 1\n"},
    )
    index.update("camel", root)
    assert paths(index, "tokenizer") == ["lib/parsing.py"]
    assert paths(index, "xml_tokenizer") == ["lib/parsing.py"]


def test_camel_pieces_skip_plain_and_snake_words() -> None:
    assert camel_pieces("HTTPServerError parse_config plain") == ["error", "http", "server"]


def test_long_text_keeps_its_last_terms() -> None:
    noise = " ".join(f"word{i}x" for i in range(200))
    terms = query_terms(f"{noise} ZeroDivisionError in compute_ratio").split(" OR ")
    assert len(terms) <= 48
    assert '"word0x"' in terms
    assert '"compute_ratio"' in terms and '"zerodivisionerror"' in terms


@pytest.mark.parametrize("query", ["a" * 20_000, "a/" * 10_000, "aA." * 7_000, "x.py " * 4_000])
def test_huge_queries_stay_fast(index: CodeIndex, repo: Path, query: str) -> None:
    index.update("app", repo)
    start = time.monotonic()
    index.search(query)
    assert time.monotonic() - start < 1.0


def test_code_outranks_prose_that_matches_as_well(index: CodeIndex, tmp_path: Path) -> None:
    text = "def parse_invoice_total(invoice):\n    return invoice.total\n"
    root = make_repo(tmp_path / "prose", {"README.md": text, "docs/guide.rst": text, "billing/parse.py": text})
    index.update("prose", root)
    assert paths(index, "parse_invoice_total")[0] == "billing/parse.py"


def test_a_read_only_index_searches_while_another_connection_writes(repo: Path, tmp_path: Path) -> None:
    db = tmp_path / "shared.sqlite"
    with CodeIndex(db) as writer:
        writer.update("app", repo)
        writer._conn.execute("BEGIN IMMEDIATE")  # a write under way, as the indexer's would be
        with CodeIndex(db, readonly=True) as reader:
            assert paths(reader, "RetryPolicy")[0] == "app/retry.py"
            assert reader.file_count("app") == 4
        writer._conn.execute("ROLLBACK")


def test_a_read_only_index_of_another_layout_finds_nothing(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 1")
    conn.close()
    with CodeIndex(db, readonly=True) as reader:
        assert reader.search("anything") == []
