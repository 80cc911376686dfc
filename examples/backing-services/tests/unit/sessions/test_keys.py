from __future__ import annotations

from shop.sessions.cache import session_key


def test_keys_are_namespaced() -> None:
    assert session_key("gw0", "t-1") == "gw0:session:t-1"
