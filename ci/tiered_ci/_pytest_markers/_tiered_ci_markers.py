"""A pytest plugin that registers the markers a tiered-ci tier selects by.

A tier's `-m` expression (`critical or smoke`) names markers the repository may
never register; pytest 9 under strict markers (`strict = true`, `--strict-markers`)
refuses such an expression before collecting anything, and the session fails on its
first run. The session copies this file into its environment's site-packages and
passes `-p _tiered_ci_markers` with the names in `TIERED_CI_MARKERS`. Registering a
marker changes no selection: under strict markers no test can carry an unregistered
one.

A module of its own, not of the `tiered_ci` package: the test environment does not
have tiered-ci installed, only this file.
"""

# ruff: noqa: INP001 - copied alone into a test environment, never imported from here
from __future__ import annotations

import os
from typing import Any

__all__ = ["VARIABLE", "pytest_configure"]

VARIABLE = "TIERED_CI_MARKERS"


def pytest_configure(config: Any) -> None:  # noqa: ANN401 - pytest's Config, not imported here
    for name in os.environ.get(VARIABLE, "").split(","):
        if name:
            config.addinivalue_line("markers", f"{name}: a marker a tiered-ci tier selects by")
