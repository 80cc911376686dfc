from __future__ import annotations

from decimal import Decimal

import pytest

from app.d3_billing.pricing import price_line, volume_rate
from common.money import Money


@pytest.mark.parametrize(
    ("quantity", "rate"),
    [(1, "0"), (9, "0"), (10, "0.05"), (49, "0.05"), (50, "0.15"), (500, "0.15")],
)
def test_volume_breaks(quantity: int, rate: str) -> None:
    assert volume_rate(quantity) == Decimal(rate)


def test_volume_break_then_discount_rounds_half_even() -> None:
    # 10 x 24.90 = 249.00; -5% = 236.55; -10% = 212.895 -> 212.90 (half-even on the cent)
    line = price_line("SKU-100", 10, Money(2490), Decimal("0.10"))
    assert line.net == Money(21290)


def test_quantity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="SKU-1: quantity must be at least 1, got 0"):
        price_line("SKU-1", 0, Money(100), Decimal(0))


def test_discount_must_be_a_rate() -> None:
    with pytest.raises(ValueError, match=r"discount must be in \[0, 1\), got 1"):
        price_line("SKU-1", 1, Money(100), Decimal(1))
