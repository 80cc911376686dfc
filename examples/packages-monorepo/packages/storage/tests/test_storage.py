from __future__ import annotations

from acme_models import Item
from acme_storage import Store


def test_put_then_get() -> None:
    store = Store()
    key = store.put(Item("Red Hat"))
    assert store.get(key).title == "Red Hat"
