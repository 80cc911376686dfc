"""Storage with real models: a catalogue round trip (acme-storage's integration tests)."""

from __future__ import annotations

from acme_models import Item
from acme_storage import Store


def test_a_catalogue_round_trips_by_slug() -> None:
    store = Store()
    titles = ["Red Hat", "Blue  Scarf", "green mug"]
    keys = [store.put(Item(title)) for title in titles]
    assert keys == ["red-hat", "blue-scarf", "green-mug"]
    assert [store.get(key).title for key in keys] == titles
