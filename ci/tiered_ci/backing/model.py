"""The value type of one backing service: `[tool.tiered-ci.backing-services.<name>]`.

A leaf (it imports only `tiered_ci.errors`), so `tiered_ci.model` (the config's value
types) can hold a mapping of them without an arrow pointing back up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tiered_ci.errors import CheckFailed

__all__ = ["DEFAULT_HOST", "DEFAULT_TIMEOUT", "STOP_SIGNALS", "BackingService", "ServiceError"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_TIMEOUT = 30.0
# Signals a service may ask to be stopped with (postgres: SIGINT is its fast shutdown;
# SIGTERM, the default, waits for every client to disconnect).
STOP_SIGNALS = ("SIGTERM", "SIGINT", "SIGQUIT")


@dataclass(frozen=True, slots=True)
class BackingService:
    """How to start one service, know it is ready, and what environment tests get.

    Templates in `command`, `prepare`, `ready_command`, `env` and `worker_setup`:
    `{host}`, `{port}`, `{dir}` (a fresh temporary folder, removed after), `{name}`;
    `{worker}` (the xdist worker id, `main` without xdist) in `env` and `worker_setup`.
    """

    name: str
    # Where it comes from: at least one. With an engine running, compose, then image;
    # without one, the local command.
    compose: str | None = None  # a service of the repository's compose file
    compose_file: str | None = None  # default: the first of model.COMPOSE_FILES
    image: str | None = None  # `docker run` of this image
    command: tuple[str, ...] = ()  # a local process (foreground, not daemonizing)
    prepare: tuple[tuple[str, ...], ...] = ()  # run before `command` (initdb)
    path: tuple[str, ...] = ()  # folders (globs) put before PATH for prepare and command
    port: int | None = None  # fixed host port; None: a free one (command), the published one
    container_port: int | None = None  # the port inside the container (compose, image)
    container_env: Mapping[str, str] = field(default_factory=dict)  # `docker run -e`
    host: str = DEFAULT_HOST
    ready_command: tuple[str, ...] = ()  # () = the TCP port accepts (compose: its health check)
    timeout_seconds: float = DEFAULT_TIMEOUT
    stop_signal: str = "SIGTERM"
    # As root, `prepare` and `command` run as this user (postgres refuses root); ignored
    # when tiered-ci does not run as root. "root" keeps root.
    run_as: str = "nobody"
    env: Mapping[str, str] = field(default_factory=dict)  # what the tests get
    worker_setup: tuple[tuple[str, ...], ...] = ()  # once per test worker, before its first test

    @property
    def sources(self) -> tuple[str, ...]:
        """The ways it can start, in the order tried: compose, image, command."""
        return tuple(
            kind
            for kind, present in (
                ("compose", self.compose is not None),
                ("image", self.image is not None),
                ("command", bool(self.command)),
            )
            if present
        )


class ServiceError(CheckFailed):
    """A backing service did not start, never became ready, or its setup failed: exit 1.

    The message names the service, what was tried and its last output.
    """
