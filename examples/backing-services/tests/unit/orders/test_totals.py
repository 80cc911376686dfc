from __future__ import annotations

from shop.orders.store import Order, total_cents


def test_total_adds_the_orders() -> None:
    assert total_cents([Order("o-1", "c", 250), Order("o-2", "c", 100)]) == 350
