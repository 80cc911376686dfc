"""The shop backend: six domains behind one HTTP gateway."""

from __future__ import annotations
