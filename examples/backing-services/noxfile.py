# /// script
# dependencies = ["nox>=2025.2.9", "tiered-ci @ git+https://github.com/your-org/tiered-ci@v0.2.0"]
# ///
# The one place that says which tiered-ci runs (docs/workflows.md): set the owner
# and the release (or commit) you adopt.
"""tiered-ci's own sessions are the shipped tiers: `nox -l` lists them."""

from __future__ import annotations

import tiered_ci.nox

tiered_ci.nox.register()
