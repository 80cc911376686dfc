"""Sessions in Redis; the server comes from REDIS_URL."""

from __future__ import annotations

import redis


def session_key(namespace: str, token: str) -> str:
    return f"{namespace}:session:{token}"


class SessionCache:
    def __init__(self, url: str, namespace: str, ttl_seconds: int = 3600) -> None:
        self.client = redis.Redis.from_url(url, decode_responses=True)
        self.namespace = namespace
        self.ttl = ttl_seconds

    def login(self, token: str, customer: str) -> None:
        self.client.set(session_key(self.namespace, token), customer, ex=self.ttl)

    def customer(self, token: str) -> str | None:
        value = self.client.get(session_key(self.namespace, token))
        return value if isinstance(value, str) else None

    def logout(self, token: str) -> None:
        self.client.delete(session_key(self.namespace, token))
