"""Invoices: priced lines, a tax rate, and totals that always add up."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from app.d3_billing.pricing import PricedLine
from common.ids import make_id
from common.money import Money, total

TAX_RATES: dict[str, Decimal] = {
    "DE": Decimal("0.19"),
    "FR": Decimal("0.20"),
    "SE": Decimal("0.25"),
}


@dataclass(frozen=True, slots=True)
class Invoice:
    invoice_id: str
    order_id: str
    customer_id: str
    issued: date
    lines: tuple[PricedLine, ...]
    net: Money
    tax: Money
    gross: Money


def tax_rate(country: str) -> Decimal:
    try:
        return TAX_RATES[country]
    except KeyError:
        raise ValueError(f"no tax rate for country {country!r}") from None


def build_invoice(
    order_id: str,
    customer_id: str,
    country: str,
    lines: Sequence[PricedLine],
    issued: date,
) -> Invoice:
    """Tax is computed once on the net total (not per line) so rounding happens once."""
    if not lines:
        raise ValueError(f"order {order_id}: an invoice needs at least one line")
    currency = lines[0].net.currency
    net = total([line.net for line in lines], currency)
    tax = net.times(tax_rate(country))
    return Invoice(
        invoice_id=make_id("inv", order_id),
        order_id=order_id,
        customer_id=customer_id,
        issued=issued,
        lines=tuple(lines),
        net=net,
        tax=tax,
        gross=net + tax,
    )
