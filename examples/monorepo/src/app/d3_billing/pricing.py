"""Line pricing: volume breaks first, then the customer's discount, per line."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from common.money import Money

# (minimum quantity, rate off the unit price), highest threshold first.
VOLUME_BREAKS: tuple[tuple[int, Decimal], ...] = ((50, Decimal("0.15")), (10, Decimal("0.05")))


@dataclass(frozen=True, slots=True)
class PricedLine:
    sku: str
    quantity: int
    unit_price: Money
    net: Money  # after volume break and discount, before tax


def volume_rate(quantity: int) -> Decimal:
    for threshold, rate in VOLUME_BREAKS:
        if quantity >= threshold:
            return rate
    return Decimal(0)


def price_line(sku: str, quantity: int, unit_price: Money, discount: Decimal) -> PricedLine:
    if quantity < 1:
        raise ValueError(f"{sku}: quantity must be at least 1, got {quantity}")
    if not Decimal(0) <= discount < Decimal(1):
        raise ValueError(f"discount must be in [0, 1), got {discount}")
    gross = unit_price.times(quantity)
    after_volume = gross.times(1 - volume_rate(quantity))
    return PricedLine(sku, quantity, unit_price, after_volume.times(1 - discount))
