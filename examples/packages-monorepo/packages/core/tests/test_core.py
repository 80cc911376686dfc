from __future__ import annotations

from acme_core import slug


def test_slug() -> None:
    assert slug("Hello World") == "hello-world"
