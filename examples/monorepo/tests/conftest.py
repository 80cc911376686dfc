"""Fixtures shared by the integration and e2e tiers: a real shop on a real port."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.d0_gateway.app import Shop, build_shop
from app.d0_gateway.server import RunningServer


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)


@dataclass(frozen=True)
class Client:
    """urllib against the running server: errors come back as replies, not exceptions."""

    base_url: str

    def request(self, method: str, path: str, payload: object = None) -> Reply:
        data = None if payload is None else json.dumps(payload).encode()
        req = urllib.request.Request(self.base_url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                return Reply(resp.status, dict(resp.headers), resp.read())
        except urllib.error.HTTPError as err:
            with err:
                return Reply(err.code, dict(err.headers), err.read())

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def post(self, path: str, payload: object) -> Reply:
        return self.request("POST", path, payload)


@pytest.fixture
def shop(tmp_path: Path) -> Shop:
    """The shop with its invoices in a fresh SQLite file."""
    return build_shop(tmp_path / "shop.sqlite3")


@pytest.fixture
def gateway(shop: Shop) -> Iterator[Client]:
    """The shop served over HTTP on 127.0.0.1 at a free port, for the duration of a test."""
    with RunningServer(shop.routes()) as server:
        yield Client(server.url)


OrderFactory = Callable[..., dict[str, object]]


@pytest.fixture
def make_order() -> OrderFactory:
    """Builds a valid order payload: one espresso bag and two mugs unless `lines` is given."""

    def build(
        order_id: str, customer: str = "c-1", country: str = "DE", **extra: object
    ) -> dict[str, object]:
        payload: dict[str, object] = {
            "order_id": order_id,
            "customer": {"id": customer, "country": country},
            "lines": [{"sku": "SKU-100", "quantity": 1}, {"sku": "SKU-200", "quantity": 2}],
            "issued": "2026-01-15",
        }
        payload.update(extra)
        return payload

    return build
