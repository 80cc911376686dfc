"""Pricing, invoices and their storage."""

from __future__ import annotations
