"""Backing services for tests: the databases, caches and brokers integration tests need.

`[tool.tiered-ci.backing-services.<name>]` declares one (a compose service, an image
or a local `command`); tiers, domains and family members name the ones their tests
`needs`. The sessions start them before pytest and stop them after, also on failure
and Ctrl-C. Layout: `model` (value type, a leaf), `parse` (the table), `needs` (who
needs what: pure), `render` (templates and the environment tests get), `ready`
(readiness checks), `process` and `containers` (the two ways to run one), `runner`
(start a set, stop them all), `worker` (per-xdist-worker setup, from the pytest
plugin).
"""

from __future__ import annotations

__all__: list[str] = []
