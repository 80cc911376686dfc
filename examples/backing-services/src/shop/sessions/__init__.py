"""Login sessions, kept in Redis with an expiry."""

from __future__ import annotations

from shop.sessions.cache import SessionCache, session_key

__all__ = ["SessionCache", "session_key"]
