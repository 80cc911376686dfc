"""Readable, prefixed identifiers (`inv_...`, `ord_...`) with a check character.

A check character catches most typos when a support agent types an id from a
screenshot, before it reaches the database.
"""

from __future__ import annotations

import hashlib
import re

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # no i, l, o, u: easy to read aloud
_SHAPE = re.compile(r"^([a-z]{2,5})_([0-9a-hjkmnp-tv-z]{10})([0-9a-hjkmnp-tv-z])$")


def make_id(prefix: str, seed: str) -> str:
    """Deterministic id for `seed` (e.g. an order's natural key) under `prefix`."""
    if not re.fullmatch(r"[a-z]{2,5}", prefix):
        raise ValueError(f"id prefix {prefix!r}: expected 2-5 lowercase letters")
    digest = hashlib.sha256(f"{prefix}:{seed}".encode()).digest()
    body = "".join(_ALPHABET[b % 32] for b in digest[:10])
    return f"{prefix}_{body}{_check(body)}"


def is_valid(identifier: str, prefix: str | None = None) -> bool:
    match = _SHAPE.match(identifier)
    if match is None:
        return False
    found_prefix, body, check = match.groups()
    return (prefix is None or found_prefix == prefix) and _check(body) == check


def _check(body: str) -> str:
    weighted = sum((i + 1) * _ALPHABET.index(char) for i, char in enumerate(body))
    return _ALPHABET[weighted % 32]
