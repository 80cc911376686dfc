"""A month of business through the running gateway: orders -> invoices -> emails -> report."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_orders_become_invoices_emails_and_a_monthly_report(gateway, make_order) -> None:
    staff = {"id": "c-2", "country": "SE", "tags": ["staff"]}
    orders = [
        make_order("o-1", email="ann@example.invalid"),
        make_order("o-2", customer="c-2", lines=[{"sku": "SKU-101", "quantity": 10}])
        | {"customer": staff},
        make_order("o-3", issued="2026-02-01"),
        make_order("o-4", lines=[{"sku": "SKU-300", "quantity": 1}]),
    ]
    invoices = [gateway.post("/orders", o).json() for o in orders]
    # c-2: 10 x 11.90 = 119.00, -5% volume = 113.05, -25% staff = 84.7875 -> 84.79; SE tax 25%
    assert invoices[1]["gross"] == "105.99 EUR"

    mails = gateway.get("/outbox").json()
    assert [m["subject"] for m in mails] == [f"Your invoice {i['invoice_id']}" for i in invoices]
    assert mails[0]["to"] == "ann@example.invalid"
    assert gateway.get("/outbox").json() == []

    # c-1: o-1 50.81 + o-4 (15.50 + 19% tax = 2.945 -> 2.94, half-even) 18.44; o-3 is February
    report = gateway.get("/reports/revenue?month=2026-01")
    assert report.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert report.body.decode().splitlines() == [
        "month,customer_id,invoices,revenue",
        "2026-01,c-1,2,69.25 EUR",
        "2026-01,c-2,1,105.99 EUR",
        "2026-01,TOTAL EUR,3,175.24 EUR",
    ]


def test_an_invoice_is_readable_after_the_order(gateway, make_order) -> None:
    created = gateway.post("/orders", make_order("o-9", country="FR")).json()
    stored = gateway.get(f"/invoices/{created['invoice_id']}").json()
    assert stored["order_id"] == "o-9"
    assert stored["gross_cents"] == 5124  # 42.70 + 20% FR tax
