# /// script
# dependencies = ["nox>=2025.2.9", "tiered-ci>=0.2"]
# ///
"""tiered-ci's own sessions are the shipped tiers: `nox -l` lists them."""

from __future__ import annotations

import tiered_ci.nox

tiered_ci.nox.register()
