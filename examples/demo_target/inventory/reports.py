"""Text reports over a stock dictionary."""

from __future__ import annotations

from collections.abc import Mapping

from inventory.models import Item


def format_money(cents: int) -> str:
    """1250 -> '12.50', -5 -> '-0.05'."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def low_stock(stock: Mapping[str, Item], threshold: int = 5) -> list[Item]:
    """Items at or below `threshold`, fewest first, ties by SKU."""
    low = [item for item in stock.values() if item.quantity <= threshold]
    return sorted(low, key=lambda item: (item.quantity, item.sku))


def stock_table(stock: Mapping[str, Item]) -> str:
    """A fixed-width table, one row per item by SKU, and a TOTAL row of the stock's value."""
    width = max(len(item.name) for item in stock.values())
    rows = [f"{'SKU':<8} {'Name':<{width}} {'Qty':>5} {'Value':>10}"]
    for item in sorted(stock.values(), key=lambda item: item.sku):
        value = format_money(item.value_cents)
        rows.append(f"{item.sku:<8} {item.name:<{width}} {item.quantity:>5} {value:>10}")
    total = format_money(sum(item.value_cents for item in stock.values()))
    rows.append(f"{'TOTAL':<8} {'':<{width}} {'':>5} {total:>10}")
    return "\n".join(rows)
