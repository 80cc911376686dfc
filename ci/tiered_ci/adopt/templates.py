"""The files init writes besides the table: the short noxfile and the caller workflow."""

from __future__ import annotations

__all__ = ["NOXFILE", "WORKFLOW", "WORKFLOW_PATH"]

NOXFILE = """\
# /// script
# dependencies = ["nox>=2025.2.9", "tiered-ci>=0.2"]
# ///
\"\"\"The tiered-ci sessions: `nox -l` lists them.\"\"\"

from __future__ import annotations

import tiered_ci.nox

tiered_ci.nox.register()
"""


WORKFLOW = """\
# Calls tiered-ci's reusable workflow (see tiered-ci's docs/workflows.md): replace
# `your-org` with the owner of the tiered-ci repository you use and the zeros with the
# full commit SHA of the release you adopt.
name: ci

on:
  pull_request:
    types: [opened, synchronize, reopened]
  push:
    branches: [{branch}]
  merge_group:

permissions:
  contents: read

concurrency:
  group: ${{{{ github.workflow }}}}-${{{{ github.event.pull_request.number || github.ref }}}}
  cancel-in-progress: ${{{{ github.event_name == 'pull_request' }}}}

jobs:
  tiered-ci:
    name: tiered-ci
    uses: your-org/tiered-ci/.github/workflows/tiered-ci.yml@{sha}
"""


WORKFLOW_PATH = ".github/workflows/ci.yml"
