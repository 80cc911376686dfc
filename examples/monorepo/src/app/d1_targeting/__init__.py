"""Customer segments and the discount each segment earns."""

from __future__ import annotations
