"""Reading stock lists."""

from __future__ import annotations

import pytest

from inventory import Item, ParseError, parse_line, parse_price, parse_stock

STOCK = """\
# sku, name, price, quantity
pen-01, Blue pen, 1.25, 40
NB-A5,  Notebook A5, 3.50, 8

clip-9, Paper clips (100), 0.75, 3   # reorder soon
"""


@pytest.mark.points(1, category="parsing")
def test_parse_line() -> None:
    assert parse_line("pen-01, Blue pen, 1.25, 40") == Item("PEN-01", "Blue pen", 125, 40)


@pytest.mark.points(1, category="parsing")
def test_whole_prices() -> None:
    assert parse_price("12") == 1200
    assert parse_price(" 3.50 ") == 350


@pytest.mark.points(1, category="parsing")
def test_parse_stock_skips_comments_and_blank_lines() -> None:
    stock = parse_stock(STOCK)
    assert list(stock) == ["PEN-01", "NB-A5", "CLIP-9"]
    assert stock["CLIP-9"] == Item("CLIP-9", "Paper clips (100)", 75, 3)


@pytest.mark.points(1, category="parsing")
def test_wrong_field_count_names_the_line() -> None:
    with pytest.raises(ParseError, match="line 2: expected 4 fields"):
        parse_stock("a, A, 1.00, 1\nb, B, 2.00\n")


@pytest.mark.points(1, category="parsing")
def test_bad_quantity_names_the_line() -> None:
    with pytest.raises(ParseError, match="line 1: "):
        parse_stock("a, A, 1.00, many\n")


@pytest.mark.points(2, category="parsing")
def test_duplicate_skus_add_up() -> None:
    stock = parse_stock("pen-01, Blue pen, 1.25, 40\nPEN-01, Blue pen, 1.25, 10\n")
    assert list(stock) == ["PEN-01"]
    assert stock["PEN-01"].quantity == 50


@pytest.mark.points(3, category="parsing")
def test_price_is_exact_to_the_cent() -> None:
    assert parse_price("19.99") == 1999
    assert parse_price("4.35") == 435
    assert parse_price("0.29") == 29


@pytest.mark.points(3, category="parsing")
def test_price_with_currency_sign() -> None:
    assert parse_price("$19.99") == 1999
    assert parse_price("€5") == 500
