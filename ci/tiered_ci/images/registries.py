"""Do the images a workflow pushes live in the registry it logs in to?

The reusable workflow's `images` job logs in to its `registry` input (default
`ghcr.io`) and pushes every planned image under the name the config gives it. An
image named for another registry (`localhost/app`, `docker.io/acme/app`) is then
pushed where no login happened, and the push fails on the first push to the default
branch (issue 18: the example named its images `localhost/monorepo-*` and set
`push-images: true`). `check-config` reports each such image as a finding.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from tiered_ci.callers import callers
from tiered_ci.lint import Finding
from tiered_ci.model import Config
from tiered_ci.tree import Tree

__all__ = [
    "DEFAULT_REGISTRY",
    "PushingCall",
    "image_registry",
    "pushing_calls",
    "registry_findings",
]

DEFAULT_REGISTRY = "ghcr.io"  # the reusable workflow's `registry` default
_DOCKER_HUB = {"docker.io", "index.docker.io", "registry-1.docker.io"}


class PushingCall(NamedTuple):
    """A call of the reusable workflow that pushes images, and the registry it logs in to."""

    file: str
    job: str
    registry: str


def image_registry(image: str) -> str:
    """The registry host of an image name, as docker resolves it (no host: Docker Hub)."""
    first, slash, _ = image.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        return _normal(first)
    return "docker.io"


def _normal(registry: str) -> str:
    host = registry.strip().removeprefix("https://").removeprefix("http://").rstrip("/")
    host = host.split("/", 1)[0].lower()
    return "docker.io" if host in _DOCKER_HUB else host


def pushing_calls(tree: Tree) -> Iterator[PushingCall]:
    """Every job of `.github/workflows/*` that calls tiered-ci's reusable workflow with
    `push-images` set (true, or an expression that may be true), with its registry."""
    for call in callers(tree):
        if not _may_push(call.inputs.get("push-images", False)):
            continue
        registry = str(call.inputs.get("registry", DEFAULT_REGISTRY))
        if "${{" not in registry:  # decided at run time: nothing to compare
            yield PushingCall(call.file, call.job, _normal(registry))


def _may_push(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() != "false")


def registry_findings(config: Config, tree: Tree) -> list[Finding]:
    """A finding per service image whose registry is not the one a pushing call logs in to."""
    calls = list(pushing_calls(tree))
    return [
        Finding(
            f"services.{name}.image",
            f"{service.image!r} is in registry {registry}, but {call.file} (job {call.job}) "
            f"pushes images after logging in to {call.registry} (its `registry` input): name "
            f"the image {call.registry}/<owner>/{_last(service.image)}, or pass "
            f"`registry: {registry}` there",
        )
        for name, service in config.services.items()
        if service.image
        for call in calls
        if (registry := image_registry(service.image)) != call.registry
    ]


def _last(image: str) -> str:
    return image.rsplit("/", 1)[-1]
