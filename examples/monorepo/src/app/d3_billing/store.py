"""Invoices in SQLite: one row per invoice, amounts in cents."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

from app.d3_billing.invoice import Invoice
from common.periods import Month

SCHEMA = """
CREATE TABLE IF NOT EXISTS invoices (
    invoice_id  TEXT PRIMARY KEY,
    order_id    TEXT NOT NULL UNIQUE,
    customer_id TEXT NOT NULL,
    issued      TEXT NOT NULL,
    currency    TEXT NOT NULL,
    net_cents   INTEGER NOT NULL,
    tax_cents   INTEGER NOT NULL,
    gross_cents INTEGER NOT NULL
)
"""


class DuplicateOrderError(ValueError):
    """The order was invoiced already."""


class InvoiceStore:
    """Each call opens its own connection, so the store is safe to share across threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with self._connect() as conn:
            conn.execute(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=5)

    def save(self, invoice: Invoice) -> None:
        row = (
            invoice.invoice_id,
            invoice.order_id,
            invoice.customer_id,
            invoice.issued.isoformat(),
            invoice.gross.currency,
            invoice.net.cents,
            invoice.tax.cents,
            invoice.gross.cents,
        )
        try:
            with self._connect() as conn:
                conn.execute("INSERT INTO invoices VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)
        except sqlite3.IntegrityError:
            raise DuplicateOrderError(f"order {invoice.order_id} is already invoiced") from None

    def get(self, invoice_id: str) -> dict[str, object] | None:
        with self._connect() as conn:
            conn.row_factory = sqlite3.Row
            row = conn.execute(
                "SELECT * FROM invoices WHERE invoice_id = ?", (invoice_id,)
            ).fetchone()
        return dict(row) if row is not None else None

    def revenue_rows(self, month: Month) -> list[tuple[str, str, int, int]]:
        """(customer_id, currency, invoice count, gross cents) for invoices issued in `month`."""
        with self._connect() as conn:
            return conn.execute(
                "SELECT customer_id, currency, COUNT(*), SUM(gross_cents) FROM invoices "
                "WHERE issued >= ? AND issued < ? GROUP BY customer_id, currency "
                "ORDER BY customer_id, currency",
                (month.start.isoformat(), month.end.isoformat()),
            ).fetchall()

    def count(self, since: date | None = None) -> int:
        query, args = "SELECT COUNT(*) FROM invoices", ()
        if since is not None:
            query, args = query + " WHERE issued >= ?", (since.isoformat(),)
        with self._connect() as conn:
            return int(conn.execute(query, args).fetchone()[0])
