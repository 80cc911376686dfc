"""The billing store against a real SQLite file."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from app.d3_billing.invoice import Invoice, build_invoice
from app.d3_billing.pricing import price_line
from app.d3_billing.store import DuplicateOrderError, InvoiceStore
from common.money import Money
from common.periods import Month

pytestmark = pytest.mark.integration


def invoice(order_id: str, customer: str, day: date, cents: int = 1000) -> Invoice:
    return build_invoice(
        order_id, customer, "DE", [price_line("SKU", 1, Money(cents), Decimal(0))], day
    )


def test_saved_invoice_survives_a_new_store_on_the_same_file(tmp_path: Path) -> None:
    db = tmp_path / "billing.sqlite3"
    saved = invoice("o-1", "c-1", date(2026, 1, 2))
    InvoiceStore(db).save(saved)
    row = InvoiceStore(db).get(saved.invoice_id)
    assert row == {
        "invoice_id": saved.invoice_id,
        "order_id": "o-1",
        "customer_id": "c-1",
        "issued": "2026-01-02",
        "currency": "EUR",
        "net_cents": 1000,
        "tax_cents": 190,
        "gross_cents": 1190,
    }


def test_duplicate_order_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    store = InvoiceStore(tmp_path / "billing.sqlite3")
    store.save(invoice("o-1", "c-1", date(2026, 1, 2)))
    with pytest.raises(DuplicateOrderError, match="order o-1 is already invoiced"):
        store.save(invoice("o-1", "c-2", date(2026, 1, 3)))
    assert store.count() == 1


def test_revenue_rows_cover_exactly_one_month(tmp_path: Path) -> None:
    store = InvoiceStore(tmp_path / "billing.sqlite3")
    for order_id, customer, day in [
        ("o-1", "c-1", date(2025, 12, 31)),
        ("o-2", "c-1", date(2026, 1, 1)),
        ("o-3", "c-2", date(2026, 1, 31)),
        ("o-4", "c-1", date(2026, 1, 20)),
        ("o-5", "c-1", date(2026, 2, 1)),
    ]:
        store.save(invoice(order_id, customer, day))
    assert store.revenue_rows(Month(2026, 1)) == [("c-1", "EUR", 2, 2380), ("c-2", "EUR", 1, 1190)]
    assert store.count(since=date(2026, 1, 1)) == 4


def test_concurrent_writers_on_one_file(tmp_path: Path) -> None:
    store = InvoiceStore(tmp_path / "billing.sqlite3")
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda i: store.save(invoice(f"o-{i}", "c-1", date(2026, 1, 5))), range(20)))
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("SELECT COUNT(DISTINCT order_id) FROM invoices").fetchone() == (20,)
