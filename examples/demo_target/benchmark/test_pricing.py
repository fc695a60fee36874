"""Pricing orders: bulk discount and tax."""

from __future__ import annotations

import pytest

from inventory import Item, line_total, order_total, tax

PEN = Item("PEN-01", "Blue pen", 125, 40)
BOOK = Item("NB-A5", "Notebook A5", 350, 8)
STOCK = {item.sku: item for item in (PEN, BOOK)}


@pytest.mark.points(1, category="pricing")
def test_line_total_without_discount() -> None:
    assert line_total(PEN, 3) == 375


@pytest.mark.points(1, category="pricing")
def test_bulk_discount_above_threshold() -> None:
    assert line_total(PEN, 20) == 2250


@pytest.mark.points(1, category="pricing")
def test_bulk_discount_starts_at_ten() -> None:
    assert line_total(PEN, 9) == 1125
    assert line_total(PEN, 10) == 1125


@pytest.mark.points(1, category="pricing")
def test_tax_rounds_half_up() -> None:
    assert tax(1000) == 200
    assert tax(1010, "reduced") == 51
    assert tax(999, "zero") == 0


@pytest.mark.points(1, category="pricing")
def test_unknown_tax_rate_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown tax rate 'luxury'"):
        tax(100, "luxury")


@pytest.mark.points(1, category="pricing")
def test_order_total_with_tax() -> None:
    assert order_total(STOCK, {"pen-01": 2, "NB-A5": 1}) == 720


@pytest.mark.points(1, category="pricing")
def test_order_above_stock_is_refused() -> None:
    with pytest.raises(ValueError, match="only 8 of NB-A5 in stock, 9 ordered"):
        order_total(STOCK, {"NB-A5": 9})


@pytest.mark.points(1, category="pricing")
def test_unknown_sku_is_refused() -> None:
    with pytest.raises(KeyError, match="'XX-1' is not in stock"):
        order_total(STOCK, {"XX-1": 1})
