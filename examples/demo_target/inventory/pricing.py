"""Prices of orders: bulk discount, then tax, everything in whole cents."""

from __future__ import annotations

from collections.abc import Mapping

from inventory.models import Item

BULK_MIN_QUANTITY = 10  # ten or more of one item ...
BULK_DISCOUNT_PERCENT = 10  # ... are 10% cheaper
TAX_PERCENT = {"standard": 20, "reduced": 5, "zero": 0}


def line_total(item: Item, quantity: int) -> int:
    """Cents for `quantity` of `item`, bulk discount applied."""
    gross = item.price_cents * quantity
    if quantity > BULK_MIN_QUANTITY:
        gross -= gross * BULK_DISCOUNT_PERCENT // 100
    return gross


def tax(amount_cents: int, rate: str = "standard") -> int:
    """Tax on an amount, rounded half up to the cent."""
    if rate not in TAX_PERCENT:
        raise ValueError(f"unknown tax rate {rate!r}; known rates: {', '.join(TAX_PERCENT)}")
    return (amount_cents * TAX_PERCENT[rate] + 50) // 100


def order_total(stock: Mapping[str, Item], order: Mapping[str, int], rate: str = "standard") -> int:
    """What an order costs with tax; refuses SKUs not in stock and quantities above it."""
    net = 0
    for sku, quantity in order.items():
        item = stock.get(sku.upper())
        if item is None:
            raise KeyError(f"SKU {sku!r} is not in stock")
        if quantity > item.quantity:
            raise ValueError(f"only {item.quantity} of {item.sku} in stock, {quantity} ordered")
        net += line_total(item, quantity)
    return net + tax(net, rate)
