"""Wire the domains into routes. The only module that knows every domain."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from app.d0_gateway.router import HTTPError, Request, Response, Router
from app.d1_targeting.segments import DEFAULT_SEGMENTS, Customer, discount_for
from app.d2_catalog.index import SAMPLE_PRODUCTS, CatalogIndex
from app.d3_billing.invoice import Invoice, build_invoice
from app.d3_billing.pricing import price_line
from app.d3_billing.store import DuplicateOrderError, InvoiceStore
from app.d4_notify.outbox import Outbox
from app.d5_reports.revenue import rows_from_totals, to_csv
from common.money import Money
from common.periods import Month


def _json(status: int, payload: object) -> Response:
    return Response(status, json.dumps(payload, sort_keys=True).encode())


def _read_json(request: Request) -> dict[str, object]:
    try:
        payload = json.loads(request.body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise HTTPError(400, "body is not valid JSON") from None
    if not isinstance(payload, dict):
        raise HTTPError(400, "body must be a JSON object")
    return payload


def invoice_json(invoice: Invoice) -> dict[str, object]:
    return {
        "invoice_id": invoice.invoice_id,
        "order_id": invoice.order_id,
        "customer_id": invoice.customer_id,
        "issued": invoice.issued.isoformat(),
        "lines": [
            {"sku": line.sku, "quantity": line.quantity, "net": str(line.net)}
            for line in invoice.lines
        ],
        "net": str(invoice.net),
        "tax": str(invoice.tax),
        "gross": str(invoice.gross),
    }


@dataclass
class Shop:
    catalog: CatalogIndex
    store: InvoiceStore
    outbox: Outbox

    def routes(self) -> Router:
        router = Router()
        router.add("GET", "/health", lambda _: _json(200, {"status": "ok"}))
        router.add("GET", "/products", self.search)
        router.add("POST", "/orders", self.place_order)
        router.add("GET", "/invoices/{invoice_id}", self.get_invoice)
        router.add("GET", "/reports/revenue", self.revenue_report)
        router.add("GET", "/outbox", self.list_outbox)
        return router

    def search(self, request: Request) -> Response:
        found = self.catalog.search(request.query.get("q", ""))
        return _json(200, [{"sku": p.sku, "name": p.name} for p in found])

    def place_order(self, request: Request) -> Response:
        order = _read_json(request)
        try:
            invoice = self._invoice(order)
            self.store.save(invoice)
        except DuplicateOrderError as exc:
            raise HTTPError(409, str(exc)) from None
        except (KeyError, TypeError, ValueError) as exc:
            raise HTTPError(400, f"invalid order: {exc}") from None
        body = invoice_json(invoice)
        self.outbox.queue_invoice(str(order.get("email", invoice.customer_id)), body)
        return _json(201, body)

    def _invoice(self, order: dict[str, object]) -> Invoice:
        raw_customer = order["customer"]
        raw_lines = order["lines"]
        if not isinstance(raw_customer, dict) or not isinstance(raw_lines, list):
            raise TypeError("customer must be an object and lines a list")
        customer = Customer(
            customer_id=str(raw_customer["id"]),
            country=str(raw_customer["country"]),
            lifetime_spend=Money.parse(str(raw_customer.get("lifetime_spend", "0.00 EUR"))),
            tags=frozenset(raw_customer.get("tags", [])),
        )
        discount = discount_for(customer, DEFAULT_SEGMENTS)
        lines = []
        for raw in raw_lines:
            product = self.catalog.get(str(raw["sku"]))
            unit = Money(product.price_cents, product.currency)
            lines.append(price_line(product.sku, int(raw["quantity"]), unit, discount))
        issued = date.fromisoformat(str(order.get("issued") or date.today().isoformat()))
        return build_invoice(
            str(order["order_id"]), customer.customer_id, customer.country, lines, issued
        )

    def get_invoice(self, request: Request) -> Response:
        row = self.store.get(request.params["invoice_id"])
        if row is None:
            raise HTTPError(404, f"no invoice {request.params['invoice_id']}")
        return _json(200, row)

    def revenue_report(self, request: Request) -> Response:
        try:
            month = Month.parse(request.query.get("month", ""))
        except ValueError as exc:
            raise HTTPError(400, str(exc)) from None
        rows = rows_from_totals(self.store.revenue_rows(month))
        return Response(200, to_csv(month, rows).encode(), "text/csv; charset=utf-8")

    def list_outbox(self, _: Request) -> Response:
        return _json(200, [{"to": m.to, "subject": m.subject} for m in self.outbox.drain()])


def build_shop(db_path: Path) -> Shop:
    return Shop(CatalogIndex(SAMPLE_PRODUCTS), InvoiceStore(db_path), Outbox())
