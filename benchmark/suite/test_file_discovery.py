"""File discovery: given a task or an error text, the right file is among the top hits.

The corpus is small but realistic code kept as text bundles in `discovery_cases/`: three
repositories (a shop web app, a sync CLI, a table library; ~50 files) written out as real git
repositories, a fourth (a ledger) written four folders deep under a home that
`ryx.repos.discover` must find without being told where, and an installed package (an HTTP
client) laid out as site-packages. All are indexed with `skills.search.CodeIndex`. Easy cases
share identifiers with the file; hard ones (2 points) are prose without shared identifiers,
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

TRACEBACK_SITE = '''Traceback (most recent call last):
  File "/home/me/app/sync.py", line 12, in main
    data = client.get("/feed")
  File "/home/me/.venv/lib/python3.11/site-packages/retryhttp/client.py", line 25, in get
    raise GiveUp(f"GET {path} failed {self.attempts} times") from last
retryhttp.errors.GiveUp: GET /feed failed 5 times
'''

FAR = "~/src/clients/acme/ledger"  # how research names a repo it found under the home
SITE = "site-packages/retryhttp"

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
    easy("far_repo_exception", "ledger.posting.UnbalancedEntry: rent: debits 1200 != credits 1000",
         f"{FAR}:ledger/posting.py", k=1),
    hard("far_repo_prose", "amounts lose their exact value and are rounded to cents too early",
         f"{FAR}:ledger/money.py"),
    easy("site_packages_traceback", TRACEBACK_SITE, f"{SITE}:client.py", k=1),
    hard("site_packages_synonym", "the pause between tries keeps doubling and gets far too long",
         f"{SITE}:backoff.py"),
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


def write_bundle(bundle: Path, base: Path) -> list[str]:
    """The bundle's files under `base`; the top folders it wrote."""
    tops: set[str] = set()
    for name, text in read_bundle(bundle).items():
        target = base / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        tops.add(name.split("/", 1)[0])
    return sorted(tops)


def make_repo(root: Path) -> None:
    git(root, "init", "-q")
    git(root, "config", "user.name", "Bench")
    git(root, "config", "user.email", "bench@example.com")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")


def write_repos(base: Path) -> list[str]:
    repos: set[str] = set()
    for name in ("shopweb", "syncctl", "tabkit"):
        repos.update(write_bundle(CASES_DIR / f"corpus_{name}.txt", base))
    for repo in sorted(repos):
        make_repo(base / repo)
    return sorted(repos)


def far_repos(home: Path) -> dict[str, Path]:
    """The ledger, deep in a home beside decoys, and what discovery finds there by name."""
    from ryx.repos import discover

    write_bundle(CASES_DIR / "corpus_ledger.txt", home / "src" / "clients" / "acme")
    make_repo(home / "src" / "clients" / "acme" / "ledger")
    for decoy in ("node_modules/left-pad", ".cache/pip/src/x", "venv/src/y"):
        (home / decoy).mkdir(parents=True)
        git(home / decoy, "init", "-q")
    found = discover([home]).repos
    return {"~/" + p.relative_to(home.resolve()).as_posix(): p for p in found}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("discovery")
    ix = CodeIndex(base / "index.sqlite")
    indexed = sum(ix.update(repo, base / "repos" / repo) for repo in write_repos(base / "repos"))
    assert indexed >= 30, f"the discovery corpus should have 30+ files, indexed {indexed}"
    for name, root in far_repos(base / "home").items():
        ix.update(name, root)
    write_bundle(CASES_DIR / "corpus_site.txt", base / "site-packages")
    ix.update(SITE, base / "site-packages" / "retryhttp")
    yield ix
    ix.close()


@pytest.mark.parametrize(("query", "expected", "k", "repos"), CASES)
def test_discovers_file(index: CodeIndex, query: str, expected: str, k: int, repos) -> None:
    hits = index.search(query, limit=k, repos=repos)
    found = [f"{h.repo}:{h.path}" for h in hits]
    assert expected in found, f"{expected} not in top {k} for {query!r}: {found}"
