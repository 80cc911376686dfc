"""Monthly revenue as CSV: one row per customer and currency, then a total per currency."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from common.money import Money
from common.periods import Month

HEADER = ("month", "customer_id", "invoices", "revenue")


@dataclass(frozen=True, slots=True)
class RevenueRow:
    customer_id: str
    invoices: int
    revenue: Money


def rows_from_totals(totals: Iterable[tuple[str, str, int, int]]) -> list[RevenueRow]:
    """(customer_id, currency, count, cents) tuples, as the billing store returns them."""
    return [
        RevenueRow(cid, count, Money(cents, currency)) for cid, currency, count, cents in totals
    ]


def currency_totals(rows: Iterable[RevenueRow]) -> dict[str, Money]:
    totals: dict[str, Money] = {}
    for row in rows:
        currency = row.revenue.currency
        totals[currency] = totals.get(currency, Money.zero(currency)) + row.revenue
    return dict(sorted(totals.items()))


def to_csv(month: Month, rows: list[RevenueRow]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    for row in sorted(rows, key=lambda r: (r.customer_id, r.revenue.currency)):
        writer.writerow((str(month), row.customer_id, row.invoices, str(row.revenue)))
    for currency, amount in currency_totals(rows).items():
        count = sum(r.invoices for r in rows if r.revenue.currency == currency)
        writer.writerow((str(month), f"TOTAL {currency}", count, str(amount)))
    return buffer.getvalue()
