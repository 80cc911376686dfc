"""`tomllib` on every supported Python: the standard library from 3.11, tomli on 3.10."""

from __future__ import annotations

import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the pytest plugin also runs in 3.10 test environments
    import tomli as tomllib

__all__ = ["tomllib"]
