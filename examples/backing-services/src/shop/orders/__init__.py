"""Orders, stored in PostgreSQL."""

from __future__ import annotations

from shop.orders.store import Order, OrderStore, total_cents

__all__ = ["Order", "OrderStore", "total_cents"]
