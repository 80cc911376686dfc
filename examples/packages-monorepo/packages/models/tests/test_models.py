from __future__ import annotations

from acme_models import Item


def test_item_key() -> None:
    assert Item("Blue Shirt").key == "blue-shirt"
