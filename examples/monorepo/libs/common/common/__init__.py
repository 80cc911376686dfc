"""Helpers shared by several domains and services: money, ids, billing periods."""

from __future__ import annotations
