"""The one record everything else works on."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Item:
    """A stock keeping unit: prices are whole cents, never floats."""

    sku: str
    name: str
    price_cents: int
    quantity: int

    @property
    def value_cents(self) -> int:
        """What the items on the shelf are worth."""
        return self.price_cents * self.quantity
