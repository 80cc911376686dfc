"""The api over a real store: what `create` returns can be read back (acme-api's
integration tests)."""

from __future__ import annotations

from acme_api import create
from acme_storage import Store


def test_a_created_item_is_in_the_store_under_its_key() -> None:
    store = Store()
    created = create(store, "Green Mug")
    assert store.get(created["key"]).title == "Green Mug"
    assert created["url"].endswith(created["key"])
