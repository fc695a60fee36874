"""Adding amounts of money."""

from __future__ import annotations

import pytest

from inventory.money import add_cents


@pytest.mark.points(1, category="money")
def test_add_cents() -> None:
    assert add_cents(250, 125) == 375
