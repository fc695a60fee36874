"""A small stock-keeping library: read stock lists, price orders, print reports."""

from __future__ import annotations

from inventory.models import Item
from inventory.parsing import ParseError, parse_line, parse_price, parse_stock
from inventory.pricing import line_total, order_total, tax
from inventory.reports import format_money, low_stock, stock_table

__all__ = [
    "Item",
    "ParseError",
    "format_money",
    "line_total",
    "low_stock",
    "order_total",
    "parse_line",
    "parse_price",
    "parse_stock",
    "stock_table",
    "tax",
]
