"""Customer notifications rendered from templates."""

from __future__ import annotations
