"""The product catalog and its search index."""

from __future__ import annotations
