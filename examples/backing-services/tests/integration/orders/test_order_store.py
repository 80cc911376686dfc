"""The order store against the PostgreSQL that tiered-ci started (DATABASE_URL)."""

from __future__ import annotations

import os

import psycopg
import pytest

from shop.orders.store import Order, OrderStore

pytestmark = pytest.mark.integration

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture
def store() -> OrderStore:
    return OrderStore(os.environ["DATABASE_URL"])


def test_saved_orders_come_back_for_their_customer(store: OrderStore) -> None:
    customer = f"customer-{WORKER}-a"
    store.save(Order(f"{customer}-1", customer, 1200))
    store.save(Order(f"{customer}-2", customer, 300))
    assert [o.cents for o in store.for_customer(customer)] == [1200, 300]


def test_a_duplicate_order_is_refused(store: OrderStore) -> None:
    customer = f"customer-{WORKER}-b"
    store.save(Order(f"{customer}-1", customer, 100))
    with pytest.raises(psycopg.errors.UniqueViolation):
        store.save(Order(f"{customer}-1", customer, 100))


@pytest.mark.parametrize("n", range(8))
def test_each_worker_has_a_database_of_its_own(
    n: int, record_property: pytest.RecordProperty
) -> None:
    """Writes a mark in this worker's database; no other worker's database has it, and
    this one holds only this worker's marks. Eight of them, so both workers run some."""
    url = os.environ["DATABASE_URL"]
    assert url.endswith(f"/shop_{WORKER}")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS marks (worker text, n integer)")
        conn.execute("INSERT INTO marks VALUES (%s, %s)", (WORKER, n))
        writers = {w for (w,) in conn.execute("SELECT DISTINCT worker FROM marks")}
        others = [
            name
            for (name,) in conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE 'shop%%' "
                "AND datname <> current_database()"
            )
        ]
    assert writers == {WORKER}
    for other in others:
        with psycopg.connect(url.rpartition("/")[0] + "/" + other) as conn:
            (table,) = conn.execute("SELECT to_regclass('marks')").fetchone() or (None,)
            if table is not None:
                seen = conn.execute("SELECT n FROM marks WHERE worker = %s", (WORKER,))
                assert seen.fetchall() == [], f"{other} holds marks of {WORKER}"
    record_property("database", url.rpartition("/")[2])
    record_property("other_databases", " ".join(sorted(others)))
