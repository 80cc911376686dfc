"""acme-core."""

from __future__ import annotations


def slug(text: str) -> str:
    return "-".join(text.lower().split())
