"""The gateway over a real socket: routing, status codes, headers, bodies."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.integration


@pytest.mark.smoke
def test_health(gateway) -> None:
    reply = gateway.get("/health")
    assert (reply.status, reply.json()) == (200, {"status": "ok"})
    assert reply.headers["Content-Type"] == "application/json"


def test_product_search(gateway) -> None:
    reply = gateway.get("/products?q=coffee")
    assert reply.json() == [
        {"name": "Filter coffee 500 g", "sku": "SKU-101"},
        {"name": "Espresso beans 1 kg", "sku": "SKU-100"},
    ]


def test_order_creates_an_invoice(gateway, make_order) -> None:
    reply = gateway.post("/orders", make_order("o-1"))
    assert reply.status == 201
    invoice = reply.json()
    assert (invoice["net"], invoice["tax"], invoice["gross"]) == (
        "42.70 EUR",
        "8.11 EUR",
        "50.81 EUR",
    )
    stored = gateway.get(f"/invoices/{invoice['invoice_id']}")
    assert stored.status == 200
    assert stored.json()["gross_cents"] == 5081


def test_same_order_twice_is_a_conflict(gateway, make_order) -> None:
    assert gateway.post("/orders", make_order("o-1")).status == 201
    reply = gateway.post("/orders", make_order("o-1"))
    assert (reply.status, reply.json()) == (409, {"error": "order o-1 is already invoiced"})


@pytest.mark.parametrize(
    ("path", "status", "error"),
    [
        ("/nowhere", 404, "no route for /nowhere"),
        ("/invoices/inv_0000000000", 404, "no invoice inv_0000000000"),
        ("/reports/revenue?month=2026-1", 400, "not a month: '2026-1'; expected YYYY-MM"),
    ],
)
def test_errors_are_json(gateway, path: str, status: int, error: str) -> None:
    reply = gateway.get(path)
    assert (reply.status, reply.json()) == (status, {"error": error})


def test_wrong_method_lists_allowed(gateway) -> None:
    reply = gateway.request("DELETE", "/orders")
    assert (reply.status, reply.headers["Allow"]) == (405, "POST")


def test_invalid_bodies_are_400(gateway, make_order) -> None:
    host = urlsplit(gateway.base_url).netloc
    conn = http.client.HTTPConnection(host, timeout=5)
    conn.request("POST", "/orders", body=b"{not json", headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    assert (response.status, response.read()) == (400, b'{"error": "body is not valid JSON"}')
    conn.close()
    unknown_sku = make_order("o-2", lines=[{"sku": "SKU-404", "quantity": 1}])
    reply = gateway.post("/orders", unknown_sku)
    assert (reply.status, reply.json()) == (
        400,
        {"error": "invalid order: \"unknown sku 'SKU-404'\""},
    )
