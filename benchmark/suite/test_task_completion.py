"""Task completion: a small repo with a bug, a scripted (realistic, imperfect) model reply, the
patch engine applies it, and the repo's own tests pass under a real pytest subprocess.

This is the loop's patch step end to end: only the model's reply is scripted.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from skills.edit import apply_edits, parse_reply

points = pytest.mark.points(2, category="task_completion")


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def make_repo(root: Path, files: dict[str, str | bytes]) -> Path:
    root.mkdir()
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Ryx Bench")
    git(root, "config", "user.email", "bench@ryx.invalid")
    git(root, "config", "core.autocrlf", "false")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "start")
    return root


def run_tests(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=root, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONPATH": str(root)},
    )


def solve(root: Path, reply: str) -> list[str]:
    """What the loop does with a coding reply; returns the files git sees as changed."""
    assert run_tests(root).returncode != 0, "the task must fail before the patch"
    known = git(root, "ls-files").split()
    edits = parse_reply(reply, known_paths=known)
    result = apply_edits(root, edits)
    assert result.ok, result.errors
    after = run_tests(root)
    assert after.returncode == 0, after.stdout[-3000:]
    return sorted(line[3:] for line in git(root, "status", "--porcelain").splitlines())


PAGES = '''\
def page_count(total: int, per_page: int) -> int:
    """How many pages `total` items fill, `per_page` to a page."""
    if per_page <= 0:
        raise ValueError("per_page must be positive")
    return total // per_page


def page_slice(page: int, per_page: int) -> slice:
    """The items on 1-based `page`."""
    start = page * per_page
    return slice(start, start + per_page)
'''

PAGES_TEST = '''\
from pager.pages import page_count, page_slice


def test_partial_last_page_counts():
    assert page_count(101, 10) == 11
    assert page_count(100, 10) == 10
    assert page_count(0, 10) == 0


def test_first_page_starts_at_zero():
    items = list(range(25))
    assert items[page_slice(1, 10)] == list(range(10))
    assert items[page_slice(3, 10)] == [20, 21, 22, 23, 24]
'''


@points
def test_two_blocks_in_a_fenced_reply_with_prose(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"pager/__init__.py": "", "pager/pages.py": PAGES,
                                       "tests/test_pages.py": PAGES_TEST})
    reply = '''There are two problems: integer division drops the partial last page, and pages
are 1-based, so the slice must start one page earlier.

pager/pages.py
```python
<<<<<<< SEARCH
    return total // per_page
=======
    return -(-total // per_page)
>>>>>>> REPLACE
```

```python
<<<<<<< SEARCH
    start = page * per_page
=======
    start = (page - 1) * per_page
>>>>>>> REPLACE
```
With these two changes both tests pass.
'''
    assert solve(repo, reply) == ["pager/pages.py"]


SLUG = '''\
import re
import unicodedata


def slugify(title: str) -> str:
    """'Hello, World!' -> 'hello-world'."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    text = re.sub(r"[^\\w\\s-]", "", text).lower()
    return re.sub(r"[\\s]+", "-", text)
'''

SLUG_TEST = '''\
from textutils.slug import slugify


def test_plain():
    assert slugify("Hello, World!") == "hello-world"


def test_underscores_and_dashes_collapse():
    assert slugify("  snake_case -- and  more ") == "snake-case-and-more"
'''


@points
def test_path_given_as_a_bare_file_name(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"textutils/__init__.py": "", "textutils/slug.py": SLUG,
                                       "tests/test_slug.py": SLUG_TEST})
    reply = '''The separators are not collapsed and the ends are not trimmed. In **slug.py**:

```python
<<<<<<< SEARCH
    return re.sub(r"[\\s]+", "-", text)
=======
    return re.sub(r"[\\s_-]+", "-", text).strip("-")
>>>>>>> REPLACE
```
'''
    assert solve(repo, reply) == ["textutils/slug.py"]


SETTINGS = '''\
from pathlib import Path

DEFAULTS = {"port": 8080, "debug": False}


def load(path: Path) -> dict:
    """Settings from a `key = value` file over the defaults."""
    settings = dict(DEFAULTS)
    for line in path.read_text().splitlines():
        key, value = line.split("=")
        settings[key] = value
    return settings
'''

SETTINGS_TEST = '''\
from app.settings import load


def test_types_comments_and_spaces(tmp_path):
    path = tmp_path / "app.conf"
    path.write_text("# local\\nport = 9000\\n\\ndebug = true\\nname = demo = 1\\n")
    assert load(path) == {"port": 9000, "debug": True, "name": "demo = 1"}
'''


@points
def test_whole_small_file_in_one_fenced_block(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"app/__init__.py": "", "app/settings.py": SETTINGS,
                                       "tests/test_settings.py": SETTINGS_TEST})
    reply = '''Here is the corrected file. It skips comments and blank lines, strips spaces, splits
only on the first `=` and converts values to the type of their default.

app/settings.py
```python
from pathlib import Path

DEFAULTS = {"port": 8080, "debug": False}


def _convert(key: str, value: str):
    default = DEFAULTS.get(key)
    if isinstance(default, bool):
        return value.lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(value)
    return value


def load(path: Path) -> dict:
    """Settings from a `key = value` file over the defaults."""
    settings = dict(DEFAULTS)
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, value = (part.strip() for part in line.split("=", 1))
        settings[key] = _convert(key, value)
    return settings
```
'''
    assert solve(repo, reply) == ["app/settings.py"]


CART = '''\
from shop.prices import unit_price


def total(lines):
    """Sum of price x quantity over (sku, quantity) lines."""
    return sum(unit_price(sku) for sku, quantity in lines)
'''

PRICES = '''\
PRICES = {"apple": 50, "pear": 75}


def unit_price(sku):
    return PRICES[sku]
'''

CART_TEST = '''\
import pytest

from shop.cart import total
from shop.discounts import with_discount


def test_total_counts_quantities():
    assert total([("apple", 3), ("pear", 2)]) == 300


def test_unknown_sku_names_it():
    with pytest.raises(KeyError, match="kiwi"):
        total([("kiwi", 1)])


def test_discount():
    assert with_discount(1000, percent=15) == 850
'''


@points
def test_several_files_and_a_new_module(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"shop/__init__.py": "", "shop/cart.py": CART,
                                       "shop/prices.py": PRICES, "tests/test_cart.py": CART_TEST})
    reply = '''Three changes.

1. `shop/cart.py` ignores the quantity:

shop/cart.py
```
<<<<<<< SEARCH
    return sum(unit_price(sku) for sku, quantity in lines)
=======
    return sum(unit_price(sku) * quantity for sku, quantity in lines)
>>>>>>> REPLACE
```

2. The error for an unknown SKU should name it:

shop/prices.py
```
<<<<<<< SEARCH
def unit_price(sku):
    return PRICES[sku]
=======
def unit_price(sku):
    if sku not in PRICES:
        raise KeyError(f"unknown SKU {sku!r}")
    return PRICES[sku]
>>>>>>> REPLACE
```

3. The discount module does not exist yet:

shop/discounts.py
```
<<<<<<< SEARCH
=======
def with_discount(amount: int, percent: int) -> int:
    return amount - amount * percent // 100
>>>>>>> REPLACE
```
'''
    assert solve(repo, reply) == ["shop/cart.py", "shop/discounts.py", "shop/prices.py"]


STACK = '''\
class Stack:
    """A bounded stack."""

    def __init__(self, limit: int) -> None:
        self.items: list = []
        self.limit = limit

    def push(self, item) -> None:
        if len(self.items) > self.limit:
            raise OverflowError("stack is full")
        self.items.append(item)

    def pop(self):
        return self.items.pop()
'''

STACK_TEST = '''\
import pytest

from ds.stack import Stack


def test_limit_is_exact():
    stack = Stack(2)
    stack.push(1)
    stack.push(2)
    with pytest.raises(OverflowError):
        stack.push(3)
'''


@points
def test_search_block_with_lost_indentation(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"ds/__init__.py": "", "ds/stack.py": STACK,
                                       "tests/test_stack.py": STACK_TEST})
    reply = '''The check lets one item too many in. Fix in ds/stack.py:

```python
ds/stack.py
<<<<<<< SEARCH
def push(self, item) -> None:
    if len(self.items) > self.limit:
        raise OverflowError("stack is full")
=======
def push(self, item) -> None:
    if len(self.items) >= self.limit:
        raise OverflowError("stack is full")
>>>>>>> REPLACE
```
'''
    assert solve(repo, reply) == ["ds/stack.py"]
    assert "    def push(self, item) -> None:\n        if len(self.items) >= self.limit:" in (repo / "ds/stack.py").read_text()


STATS = '''\
def mean(values):
    """Arithmetic mean; an empty list is an error."""
    if not values:
        raise ValueError("mean of nothing")

    return sum(values) / len(values)


def median(values):
    """Middle value of the sorted values."""
    ordered = sorted(values)
    middle = len(ordered) // 2

    return ordered[middle]
'''

STATS_TEST = '''\
from mathx.stats import mean, median


def test_mean():
    assert mean([1, 2, 3]) == 2


def test_median_even():
    assert median([4, 1, 3, 2]) == 2.5
    assert median([3, 1, 2]) == 2
'''


@points
def test_search_block_missing_a_blank_line_and_with_trailing_spaces(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"mathx/__init__.py": "", "mathx/stats.py": STATS,
                                       "tests/test_stats.py": STATS_TEST})
    reply = ("For an even count the median is the mean of the two middle values.\n\n"
             "mathx/stats.py\n```python\n<<<<<<< SEARCH\n"
             "    ordered = sorted(values)   \n    middle = len(ordered) // 2\n    return ordered[middle]\n"
             "=======\n"
             "    ordered = sorted(values)\n    middle = len(ordered) // 2\n    if len(ordered) % 2 == 0:\n"
             "        return (ordered[middle - 1] + ordered[middle]) / 2\n    return ordered[middle]\n"
             ">>>>>>> REPLACE\n```\n")
    assert solve(repo, reply) == ["mathx/stats.py"]


UNITS = (
    b"FACTORS = {\r\n"
    b'    "km": 1000.0,\r\n'
    b'    "m": 1.0,\r\n'
    b'    "cm": 0.01,\r\n'
    b"}\r\n"
    b"\r\n"
    b"\r\n"
    b"def convert(value, unit_from, unit_to):\r\n"
    b"    return value * FACTORS[unit_to] / FACTORS[unit_from]\r\n"
)

UNITS_TEST = '''\
from units.convert import convert


def test_km_to_m():
    assert convert(2, "km", "m") == 2000.0
'''


@points
def test_crlf_file_keeps_its_line_endings(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"units/__init__.py": "", "units/convert.py": UNITS,
                                       "tests/test_units.py": UNITS_TEST})
    reply = '''The factors are applied the wrong way round:

units/convert.py
```python
<<<<<<< SEARCH
    return value * FACTORS[unit_to] / FACTORS[unit_from]
=======
    return value * FACTORS[unit_from] / FACTORS[unit_to]
>>>>>>> REPLACE
```
'''
    assert solve(repo, reply) == ["units/convert.py"]
    assert git(repo, "diff", "--numstat").split()[:2] == ["1", "1"]
    assert (repo / "units/convert.py").read_bytes().count(b"\r\n") == 9


RECORDS = '''\
def normalize(records):
    """Strip names, drop empty ones, sort by name."""
    cleaned = []
    for record in records:
        name = record.get("name", "")
        if not name:
            continue
        record["name"] = name
        cleaned.append(record)
    return sorted(cleaned, key=lambda r: r["name"])
'''

RECORDS_TEST = '''\
from clean.records import normalize


def test_names_are_stripped_and_blank_ones_dropped():
    rows = [{"name": "  bob "}, {"name": "   "}, {"name": "al"}]
    assert normalize(rows) == [{"name": "al"}, {"name": "bob"}]
'''


def records_repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "r", {"clean/__init__.py": "", "clean/records.py": RECORDS,
                                       "tests/test_records.py": RECORDS_TEST})


@points
def test_unified_diff_with_a_wrong_path_prefix(tmp_path: Path) -> None:
    reply = '''Strip the name before the emptiness check:

```diff
--- a/src/clean/records.py
+++ b/src/clean/records.py
@@ -3,5 +3,5 @@ def normalize(records):
     cleaned = []
     for record in records:
-        name = record.get("name", "")
+        name = record.get("name", "").strip()
         if not name:
             continue
```
'''
    assert solve(records_repo(tmp_path), reply) == ["clean/records.py"]


@points
def test_search_with_elided_lines_and_a_full_replace(tmp_path: Path) -> None:
    reply = '''clean/records.py
```python
<<<<<<< SEARCH
    for record in records:
        name = record.get("name", "")
        ...
        record["name"] = name
=======
    for record in records:
        name = record.get("name", "").strip()
        if not name:
            continue
        record["name"] = name
>>>>>>> REPLACE
```
'''
    assert solve(records_repo(tmp_path), reply) == ["clean/records.py"]


@points
def test_search_with_the_wrong_quote_style(tmp_path: Path) -> None:
    reply = '''records.py
```python
<<<<<<< SEARCH
    for record in records:
        name = record.get('name', '')
        if not name:
            continue
        record['name'] = name
=======
    for record in records:
        name = record.get('name', '').strip()
        if not name:
            continue
        record['name'] = name
>>>>>>> REPLACE
```
'''
    assert solve(records_repo(tmp_path), reply) == ["clean/records.py"]
