"""Reports over the stock."""

from __future__ import annotations

import pytest

from inventory import Item, format_money, low_stock, stock_table

STOCK = {
    "PEN-01": Item("PEN-01", "Blue pen", 125, 40),
    "NB-A5": Item("NB-A5", "Notebook A5", 350, 2),
    "CLIP-9": Item("CLIP-9", "Paper clips", 75, 2),
    "INK-3": Item("INK-3", "Ink cartridge", 999, 5),
}


@pytest.mark.points(1, category="reports")
def test_format_money() -> None:
    assert [format_money(c) for c in (0, 5, 1250, 100000, -5)] == ["0.00", "0.05", "12.50", "1000.00", "-0.05"]


@pytest.mark.points(1, category="reports")
def test_low_stock_fewest_first() -> None:
    assert [item.sku for item in low_stock(STOCK)] == ["CLIP-9", "NB-A5", "INK-3"]
    assert low_stock(STOCK, threshold=1) == []


@pytest.mark.points(1, category="reports")
def test_stock_table() -> None:
    assert stock_table(STOCK).splitlines() == [
        "SKU      Name            Qty      Value",
        "CLIP-9   Paper clips       2       1.50",
        "INK-3    Ink cartridge     5      49.95",
        "NB-A5    Notebook A5       2       7.00",
        "PEN-01   Blue pen         40      50.00",
        "TOTAL                            108.45",
    ]


@pytest.mark.points(2, category="reports")
def test_empty_stock_table() -> None:
    assert stock_table({}).splitlines() == [
        "SKU      Name   Qty      Value",
        "TOTAL                     0.00",
    ]
