from __future__ import annotations

from acme_api import create
from acme_storage import Store


def test_create_returns_its_url() -> None:
    assert create(Store(), "Green Mug") == {"key": "green-mug", "url": "/items/green-mug"}
