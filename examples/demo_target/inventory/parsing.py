"""Read stock lists: one `sku,name,price,quantity` line per item, `#` starts a comment."""

from __future__ import annotations

from inventory.models import Item


class ParseError(ValueError):
    """A stock line that cannot be read; the message names the line."""


def parse_price(text: str) -> int:
    """A price as written in a stock list ('12.50') in whole cents (1250)."""
    return int(float(text.strip()) * 100)


def parse_line(line: str, number: int = 1) -> Item:
    """One stock line into an Item; SKUs are upper-cased."""
    parts = [part.strip() for part in line.split(",")]
    if len(parts) != 4:
        raise ParseError(f"line {number}: expected 4 fields (sku,name,price,quantity), got {len(parts)}")
    sku, name, price, quantity = parts
    if not sku:
        raise ParseError(f"line {number}: the SKU is empty")
    try:
        return Item(sku.upper(), name, parse_price(price), int(quantity))
    except ValueError as error:
        raise ParseError(f"line {number}: {error}") from error


def parse_stock(text: str) -> dict[str, Item]:
    """All items of a stock list by SKU; a SKU listed twice is one item with both quantities."""
    items: dict[str, Item] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        item = parse_line(line, number)
        items[item.sku] = item
    return items
