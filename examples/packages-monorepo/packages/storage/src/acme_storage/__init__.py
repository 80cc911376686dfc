"""acme-storage."""

from __future__ import annotations

from acme_models import Item


class Store:
    def __init__(self) -> None:
        self._items: dict[str, Item] = {}

    def put(self, item: Item) -> str:
        self._items[item.key] = item
        return item.key

    def get(self, key: str) -> Item:
        return self._items[key]
