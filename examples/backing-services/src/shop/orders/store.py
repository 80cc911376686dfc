"""Orders in a PostgreSQL table; the connection string comes from DATABASE_URL."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    order_id text PRIMARY KEY,
    customer text NOT NULL,
    cents integer NOT NULL CHECK (cents >= 0)
)
"""


@dataclass(frozen=True)
class Order:
    order_id: str
    customer: str
    cents: int


def total_cents(orders: list[Order]) -> int:
    return sum(order.cents for order in orders)


class OrderStore:
    def __init__(self, url: str) -> None:
        self.url = url
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(SCHEMA)

    def save(self, order: Order) -> None:
        with psycopg.connect(self.url) as conn:
            conn.execute(
                "INSERT INTO orders (order_id, customer, cents) VALUES (%s, %s, %s)",
                (order.order_id, order.customer, order.cents),
            )

    def for_customer(self, customer: str) -> list[Order]:
        with psycopg.connect(self.url) as conn:
            rows = conn.execute(
                "SELECT order_id, customer, cents FROM orders WHERE customer = %s "
                "ORDER BY order_id",
                (customer,),
            ).fetchall()
        return [Order(*row) for row in rows]
