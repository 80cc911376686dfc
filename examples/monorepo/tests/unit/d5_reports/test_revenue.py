from __future__ import annotations

import pytest

from app.d5_reports.revenue import HEADER, RevenueRow, currency_totals, rows_from_totals, to_csv
from common.money import Money
from common.periods import Month

JAN = Month(2026, 1)


@pytest.mark.smoke
def test_csv_rows_sorted_then_totals_per_currency() -> None:
    rows = rows_from_totals(
        [("c-2", "EUR", 1, 5081), ("c-1", "EUR", 2, 1000), ("c-1", "SEK", 1, 99)]
    )
    assert to_csv(JAN, rows).splitlines() == [
        "month,customer_id,invoices,revenue",
        "2026-01,c-1,2,10.00 EUR",
        "2026-01,c-1,1,0.99 SEK",
        "2026-01,c-2,1,50.81 EUR",
        "2026-01,TOTAL EUR,3,60.81 EUR",
        "2026-01,TOTAL SEK,1,0.99 SEK",
    ]


def test_empty_month_is_only_the_header() -> None:
    assert to_csv(JAN, []) == ",".join(HEADER) + "\n"


def test_currency_totals_never_mix_currencies() -> None:
    rows = [
        RevenueRow("a", 1, Money(100, "EUR")),
        RevenueRow("b", 1, Money(7, "SEK")),
        RevenueRow("c", 1, Money(1, "EUR")),
    ]
    assert currency_totals(rows) == {"EUR": Money(101, "EUR"), "SEK": Money(7, "SEK")}


def test_customer_ids_with_commas_are_quoted() -> None:
    rows = rows_from_totals([("Acme, Inc.", "EUR", 1, 100)])
    assert '2026-01,"Acme, Inc.",1,1.00 EUR' in to_csv(JAN, rows).splitlines()
