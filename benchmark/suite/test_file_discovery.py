"""File discovery: given a task or an error text, the right file is among the top hits.

The corpus is three small but realistic repositories (a shop web app, a sync CLI, a table
library; ~50 files) kept as text bundles in `discovery_cases/`, written out as real git
repositories at test time and indexed with `skills.search.CodeIndex`. Easy cases share
identifiers with the file; hard ones (2 points) are prose without shared identifiers,
misspellings and synonyms.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from skills.search import CodeIndex

CASES_DIR = Path(__file__).parent / "discovery_cases"
CATEGORY = "file_discovery"


def easy(case_id: str, query: str, expected: str, k: int = 3, repos=None):
    return pytest.param(
        query, expected, k, repos, id=case_id, marks=pytest.mark.points(1, category=CATEGORY)
    )


def hard(case_id: str, query: str, expected: str, k: int = 3, repos=None):
    return pytest.param(
        query, expected, k, repos, id=case_id, marks=pytest.mark.points(2, category=CATEGORY)
    )


TRACEBACK_ORDER = '''Traceback (most recent call last):
  File "/srv/shop/shopweb/routes/checkout.py", line 21, in checkout
    gateway.charge(order.total_cents(), card_token=environ["shop.form"]["card_token"])
  File "/srv/shop/shopweb/models/order.py", line 39, in total_cents
    return int(self.total())
  File "/srv/shop/shopweb/models/order.py", line 36, in total
    return sum(line.subtotal() for line in self.lines) - self.discount
TypeError: unsupported operand type(s) for -: 'decimal.Decimal' and 'float'
'''

TRACEBACK_UPLOAD = '''Traceback (most recent call last):
  File "/usr/lib/python3.11/urllib/request.py", line 1348, in do_open
    h.request(req.get_method(), req.selector, req.data, headers,
  File "/usr/lib/python3.11/http/client.py", line 1286, in request
    self._send_request(method, url, body, headers, encode_chunked)
ConnectionResetError: [Errno 104] Connection reset by peer

During handling of the above exception, another exception occurred:

  File "/home/me/.local/lib/python3.11/site-packages/syncctl/remote.py", line 36, in put_chunk
    self._request("PUT", f"objects/{key}", chunk, headers).close()
urllib.error.URLError: <urlopen error [Errno 104] Connection reset by peer>
'''

TEST_SOURCE_GROUP_BY = '''def test_group_by_sums_each_group():
    t = Table.from_records([{"city": "Oslo", "n": 2}, {"city": "Oslo", "n": 3}])
    assert t.group_by("city").agg(n="sum").rows == [{"city": "Oslo", "n": 5}]
'''

CASES = [
    easy("traceback_line", TRACEBACK_ORDER, "shopweb:shopweb/models/order.py", k=1),
    easy("traceback_through_stdlib", TRACEBACK_UPLOAD, "syncctl:syncctl/remote.py"),
    easy(
        "test_failure_message",
        "FAILED tests/test_manifest.py::test_diff_detects_renamed_files - "
        "AssertionError: assert ['b.txt'] == []",
        "syncctl:syncctl/manifest.py",
    ),
    easy("feature_request_prose", "make the retry delay configurable",
         "syncctl:syncctl/transfer.py"),
    easy("camelcase_class_name", "RateLimiter", "shopweb:shopweb/middleware/ratelimit.py", k=1),
    easy("camelcase_words_in_prose", "the order line subtotal ignores the quantity",
         "shopweb:shopweb/models/order.py"),
    easy("error_message_text", "column 'price' has mixed types: int and str",
         "tabkit:tabkit/validate.py", k=1),
    easy("log_line", "upload of 'photos/a.jpg' interrupted, resuming at byte 1048576",
         "syncctl:syncctl/transfer.py", k=1),
    easy("behaviour_question", "where do we hash user passwords?",
         "shopweb:shopweb/models/user.py"),
    easy("repo_filtered_question", "read a CSV file that uses semicolons",
         "tabkit:tabkit/csv_reader.py", k=1, repos=["tabkit"]),
    easy("test_source_as_query", TEST_SOURCE_GROUP_BY, "tabkit:tabkit/aggregate.py"),
    easy("dotfile_behaviour", "files listed in .syncignore are still uploaded",
         "syncctl:syncctl/ignore.py"),
    hard("misspelled_identifier", "NameError: name 'agregate_by_key' is not defined",
         "tabkit:tabkit/aggregate.py"),
    hard("misspelled_class_name", "ProgresBar", "syncctl:syncctl/progress.py", k=1),
    hard("synonym_throttle", "throttle clients that send too many requests",
         "shopweb:shopweb/middleware/ratelimit.py"),
    hard("prose_daylight_saving", "times shown are an hour off after the clocks change in spring",
         "tabkit:tabkit/dates.py"),
    hard("prose_off_by_one", "the product list skips one item at the start of every page",
         "shopweb:shopweb/pagination.py"),
    hard("misspelled_call_in_error", "paginte() got an unexpected keyword argument 'size'",
         "shopweb:shopweb/pagination.py"),
    hard("synonym_average", "taking the average of an empty group crashes",
         "tabkit:tabkit/stats.py"),
    hard("prose_double_charge", "customers get charged twice when the bank takes long to respond",
         "shopweb:shopweb/services/payment.py"),
]


def read_bundle(bundle: Path) -> dict[str, str]:
    """`=== repo/path` headers, each followed by that file's text."""
    files: dict[str, str] = {}
    current: list[str] | None = None
    for line in bundle.read_text(encoding="utf-8").splitlines(keepends=True):
        if line.startswith("=== "):
            current = files.setdefault(line[4:].strip(), [])  # type: ignore[assignment]
        elif current is not None:
            current.append(line)
    return {name: "".join(lines) for name, lines in files.items()}


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def write_repos(base: Path) -> list[str]:
    repos: set[str] = set()
    for bundle in sorted(CASES_DIR.glob("corpus_*.txt")):
        for name, text in read_bundle(bundle).items():
            target = base / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            repos.add(name.split("/", 1)[0])
    for repo in sorted(repos):
        git(base / repo, "init", "-q")
        git(base / repo, "config", "user.name", "Bench")
        git(base / repo, "config", "user.email", "bench@example.com")
        git(base / repo, "add", "-A")
        git(base / repo, "commit", "-q", "-m", "initial")
    return sorted(repos)


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("discovery")
    ix = CodeIndex(base / "index.sqlite")
    indexed = sum(ix.update(repo, base / "repos" / repo) for repo in write_repos(base / "repos"))
    assert indexed >= 30, f"the discovery corpus should have 30+ files, indexed {indexed}"
    yield ix
    ix.close()


@pytest.mark.parametrize(("query", "expected", "k", "repos"), CASES)
def test_discovers_file(index: CodeIndex, query: str, expected: str, k: int, repos) -> None:
    hits = index.search(query, limit=k, repos=repos)
    found = [f"{h.repo}:{h.path}" for h in hits]
    assert expected in found, f"{expected} not in top {k} for {query!r}: {found}"
