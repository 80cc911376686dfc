from __future__ import annotations

from tiered_ci.cli import entry

__all__: list[str] = []

entry()
