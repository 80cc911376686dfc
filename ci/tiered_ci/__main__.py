from __future__ import annotations

from tiered_ci.cli import entry

entry()
