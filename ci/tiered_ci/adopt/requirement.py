"""The tiered-ci requirement of the noxfile `init` writes: the tiered-ci that is
installed, so the written noxfile resolves today (issue 17 item 7, issue 18).

The noxfile's PEP 723 block is the one place that decides which tiered-ci every
session and CI job runs (docs/workflows.md). A tiered-ci installed from an index
is named by version; one installed from a git URL, a wheel or a folder (before
publication) by its PEP 610 `direct_url.json` source, as the sessions install
themselves (`tiered_ci.sessions.self_install_spec`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib import metadata
from urllib.parse import urlparse

from tiered_ci.adopt.templates import NOXFILE

__all__ = ["INDEX_REQUIREMENT", "installed_requirement", "noxfile_text", "requirement_for"]

# What the noxfile template names: a tiered-ci from a package index.
INDEX_REQUIREMENT = "tiered-ci>=0.2"


def requirement_for(
    version: str, direct_url: Mapping[str, object] | None
) -> tuple[str, str | None]:
    """The PEP 508 requirement naming the installed tiered-ci, and a note when CI
    cannot install it (a local file or folder)."""
    if not direct_url:
        major, _, rest = version.partition(".")
        return f"tiered-ci>={major}.{rest.partition('.')[0] or '0'}", None
    url = str(direct_url.get("url", ""))
    vcs = direct_url.get("vcs_info")
    if isinstance(vcs, dict):
        commit = vcs.get("commit_id") or vcs.get("requested_revision")
        at = f"@{commit}" if commit else ""
        return f"tiered-ci @ {vcs.get('vcs', 'git')}+{url}{at}", None
    if urlparse(url).scheme == "file":
        note = (
            f"noxfile.py names tiered-ci at {url} (this machine's copy): CI cannot install "
            "that; point it at a git URL and commit (`tiered-ci @ git+https://...@<sha>`) "
            "or a release"
        )
        return f"tiered-ci @ {url}", note
    return f"tiered-ci @ {url}", None


def installed_requirement() -> tuple[str, str | None]:
    """`requirement_for` the tiered-ci this process imports (the edge: reads metadata)."""
    from tiered_ci import __version__  # noqa: PLC0415

    try:
        dist = metadata.distribution("tiered-ci")
    except metadata.PackageNotFoundError:
        note = "tiered-ci runs from a source tree, not installed: noxfile.py names the release"
        return requirement_for(__version__, None)[0], note
    text = dist.read_text("direct_url.json")
    try:
        direct = json.loads(text) if text else None
    except json.JSONDecodeError:
        direct = None
    return requirement_for(dist.version, direct if isinstance(direct, dict) else None)


def noxfile_text(requirement: str) -> str:
    """The noxfile template with `requirement` as its tiered-ci dependency."""
    quoted = json.dumps(INDEX_REQUIREMENT)
    if quoted not in NOXFILE:  # the template and this module must move together
        raise AssertionError(f"templates.NOXFILE no longer names {quoted}")
    return NOXFILE.replace(quoted, json.dumps(requirement), 1)
