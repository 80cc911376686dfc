"""The HTTP gateway: routing, the stdlib server, and the wiring of the domains."""

from __future__ import annotations
