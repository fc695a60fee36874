"""Stock keeping for the shop."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Item:
    name: str
    price: float
    qty: int = 0


@dataclass
class Inventory:
    items: dict[str, Item] = field(default_factory=dict)

    def add(self, item: Item) -> None:
        if item.name in self.items:
            self.items[item.name].qty += item.qty
        else:
            self.items[item.name] = item

    def remove(self, name: str, qty: int = 1) -> None:
        item = self.items[name]
        item.qty -= qty
        if item.qty < 0:
            item.qty = 0

    def total_value(self) -> float:
        total = 0.0
        for item in self.items.values():
            total += item.price
        return total

    def names(self) -> list[str]:
        return sorted(self.items)
