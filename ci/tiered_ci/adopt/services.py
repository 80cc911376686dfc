"""Docker services: a compose file that builds images, else the Dockerfiles. Pure."""

from __future__ import annotations

import posixpath
import re

from tiered_ci.adopt.proposal import NAME, Proposal, Reader

__all__ = ["compose_with_builds", "services"]

_COMPOSE = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")


def services(files: set[str], proposal: Proposal) -> list[str]:
    lines: list[str] = []
    seen: set[str] = set()
    for dockerfile in sorted(f for f in files if posixpath.basename(f) == "Dockerfile"):
        context = posixpath.dirname(dockerfile)
        name = NAME.sub("-", posixpath.basename(context).lower()).strip("-")
        if not context or not name or name in seen:
            continue
        seen.add(name)
        lines += ["", f"[tool.tiered-ci.services.{name}]", f'context = "{context}"']
        proposal.why.append(f"services.{name}: {dockerfile}")
    return lines


def compose_with_builds(files: set[str], read: Reader) -> str | None:
    """The top-level compose file when one builds an image (a `build:` key), else None."""
    for name in _COMPOSE:
        text = read(name) if name in files else None
        if isinstance(text, str) and re.search(r"^\s+build\s*:", text, re.MULTILINE):
            return name
    return None
