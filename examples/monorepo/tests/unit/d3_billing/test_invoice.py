from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.d3_billing.invoice import build_invoice
from app.d3_billing.pricing import price_line
from common.ids import is_valid
from common.money import Money

DAY = date(2026, 1, 15)


@pytest.mark.critical
def test_totals_add_up_with_tax_on_the_net_total() -> None:
    lines = [
        price_line("SKU-100", 1, Money(2490), Decimal(0)),
        price_line("SKU-200", 2, Money(890), Decimal(0)),
    ]
    invoice = build_invoice("o-1", "c-1", "DE", lines, DAY)
    assert (invoice.net, invoice.tax, invoice.gross) == (Money(4270), Money(811), Money(5081))


def test_invoice_id_is_deterministic_and_checkable() -> None:
    line = price_line("SKU-200", 1, Money(890), Decimal(0))
    first = build_invoice("o-1", "c-1", "FR", [line], DAY)
    again = build_invoice("o-1", "c-2", "FR", [line], DAY)
    assert first.invoice_id == again.invoice_id
    assert is_valid(first.invoice_id, "inv")


def test_unknown_country_has_no_tax_rate() -> None:
    line = price_line("SKU-200", 1, Money(890), Decimal(0))
    with pytest.raises(ValueError, match="no tax rate for country 'US'"):
        build_invoice("o-1", "c-1", "US", [line], DAY)


def test_empty_order_is_rejected() -> None:
    with pytest.raises(ValueError, match="order o-2: an invoice needs at least one line"):
        build_invoice("o-2", "c-1", "DE", [], DAY)
