"""acme-api."""

from __future__ import annotations

from acme_core import slug
from acme_models import Item
from acme_storage import Store


def create(store: Store, title: str) -> dict[str, str]:
    key = store.put(Item(title))
    return {"key": key, "url": f"/items/{slug(key)}"}
