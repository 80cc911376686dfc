"""Sessions against the Redis that tiered-ci started (REDIS_URL)."""

from __future__ import annotations

import os
import uuid

import pytest

from shop.sessions.cache import SessionCache

pytestmark = pytest.mark.integration


@pytest.fixture
def cache() -> SessionCache:
    # One Redis for every worker: each test keeps to keys of its own namespace.
    return SessionCache(os.environ["REDIS_URL"], namespace=uuid.uuid4().hex, ttl_seconds=60)


def test_a_login_is_remembered_until_logout(cache: SessionCache) -> None:
    cache.login("t-1", "c-1")
    assert cache.customer("t-1") == "c-1"
    cache.logout("t-1")
    assert cache.customer("t-1") is None


def test_a_session_expires(cache: SessionCache) -> None:
    cache.login("t-2", "c-2")
    assert 0 < int(cache.client.ttl(f"{cache.namespace}:session:t-2")) <= 60
