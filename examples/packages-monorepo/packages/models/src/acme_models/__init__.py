"""acme-models."""

from __future__ import annotations

from dataclasses import dataclass

from acme_core import slug


@dataclass(frozen=True)
class Item:
    title: str

    @property
    def key(self) -> str:
        return slug(self.title)
