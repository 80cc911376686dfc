"""The Python the caller workflow asks for, when the reusable workflow's default
(`3.11`) is one the projects' `requires-python` excludes. Pure.

A web-app template created this year says `requires-python = ">=3.14"`: on the
default every session would fail at install. The version init picks is the
repository's own `.python-version` when every project allows it, else the oldest
one they all allow (the one a user of the oldest supported Python has).
"""

from __future__ import annotations

from tiered_ci.adopt.proposal import Proposal, Reader
from tiered_ci.pythons import WORKFLOW_DEFAULT, allows, lowest_allowed, requires_python

__all__ = ["caller_python"]


def caller_python(folders: list[str], read: Reader, proposal: Proposal) -> None:
    """Set `proposal.python` when a project in `folders` (`""`: the root) excludes
    the workflow's default, saying why; a note when no version satisfies them all."""
    specs = {
        folder or ".": spec
        for folder in folders
        if (
            spec := requires_python(
                read(f"{folder}/pyproject.toml" if folder else "pyproject.toml")
            )
        )
    }
    excluding = {f: s for f, s in specs.items() if allows(s, WORKFLOW_DEFAULT) is False}
    if not excluding:
        return
    pinned = (read(".python-version") or "").strip().splitlines()
    local = ".".join(pinned[0].strip().split(".")[:2]) if pinned else ""
    chosen, whence = None, ""
    if local and all(allows(s, local) is not False for s in specs.values()):
        chosen, whence = local, ".python-version"
    else:
        chosen, whence = lowest_allowed(specs.values()), "the oldest all allow"
    folder, spec = next(iter(excluding.items()))
    project = "pyproject.toml" if folder == "." else f"{folder}/pyproject.toml"
    if chosen is None:
        proposal.notes.append(
            f"{project} has requires-python {spec!r}, which excludes the reusable workflow's "
            f"default Python {WORKFLOW_DEFAULT}, and no version satisfies every project: "
            "pass `python-version` in the caller workflow, and `python` where one differs"
        )
        return
    proposal.python = chosen
    proposal.why.append(
        f"python-version: {chosen} in the caller workflow ({whence}): {project} has "
        f"requires-python {spec!r}, which excludes the reusable workflow's default "
        f"{WORKFLOW_DEFAULT}"
    )
