"""A backing service in a container: a service of the compose file, or an image.

The commands are pure functions (argv tuples), so what tiered-ci runs is testable
on machines without an engine; `Container` runs them. `docker compose up --wait`
makes the compose file's own health check the readiness check.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

from tiered_ci.backing.model import BackingService, ServiceError

__all__ = [
    "ENGINE",
    "Container",
    "compose_file",
    "compose_port_argv",
    "compose_running_argv",
    "compose_stop_argv",
    "compose_up_argv",
    "engine_problem",
    "image_port_argv",
    "image_run_argv",
    "image_stop_argv",
    "published_port",
]

ENGINE = "docker"
_COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")


def engine_problem(environ: Mapping[str, str]) -> str | None:
    """None when a container engine answers; else why not, in one line."""
    argv = [ENGINE, "info", "--format", "{{.ServerVersion}}"]
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, check=False, env=dict(environ), timeout=20
        )
    except FileNotFoundError:
        return f"{ENGINE} is not installed"
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{ENGINE} info: {exc}"
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        return f"{ENGINE} info: {lines[-1] if lines else f'exit {done.returncode}'}"
    return None


def compose_file(service: BackingService, root: Path) -> str:
    """The compose file: the configured one, else the first of Compose's own names."""
    if service.compose_file is not None:
        return service.compose_file
    for name in _COMPOSE_FILES:
        if (root / name).is_file():
            return name
    raise ServiceError(
        f"backing service {service.name!r}: compose = {service.compose!r} but the repository "
        f"has none of {', '.join(_COMPOSE_FILES)}; set compose-file"
    )


def compose_up_argv(service: BackingService, file: str) -> tuple[str, ...]:
    """Start it and wait for its health check (or for it to run, without one)."""
    timeout = str(max(1, round(service.timeout_seconds)))
    return (ENGINE, "compose", "--file", file, "up", "--wait", "--wait-timeout", timeout,
            str(service.compose))  # fmt: skip


def compose_running_argv(service: BackingService, file: str) -> tuple[str, ...]:
    """Prints a container id when it already runs (a developer's): then it is used as is."""
    return (ENGINE, "compose", "--file", file, "ps", "--status", "running", "--quiet",
            str(service.compose))  # fmt: skip


def compose_port_argv(service: BackingService, file: str) -> tuple[str, ...]:
    return (ENGINE, "compose", "--file", file, "port", str(service.compose),
            str(service.container_port))  # fmt: skip


def compose_stop_argv(service: BackingService, file: str) -> tuple[str, ...]:
    """Stop and remove it with its anonymous volumes: the next run starts clean."""
    return (ENGINE, "compose", "--file", file, "rm", "--force", "--stop", "--volumes",
            str(service.compose))  # fmt: skip


def image_run_argv(service: BackingService, container: str) -> tuple[str, ...]:
    published = f"{service.host}:{service.port or ''}:{service.container_port}"
    env = [
        part
        for name, value in service.container_env.items()
        for part in ("--env", f"{name}={value}")
    ]
    return (ENGINE, "run", "--detach", "--rm", "--name", container, "--publish", published,
            *env, str(service.image))  # fmt: skip


def image_port_argv(service: BackingService, container: str) -> tuple[str, ...]:
    return (ENGINE, "port", container, str(service.container_port))


def image_stop_argv(container: str) -> tuple[str, ...]:
    return (ENGINE, "rm", "--force", "--volumes", container)


def published_port(output: str) -> int | None:
    """The host port of `docker port` / `docker compose port` output (`0.0.0.0:49153`)."""
    for line in output.splitlines():
        host_port = line.strip().rpartition(":")[2]
        if host_port.isdigit():
            return int(host_port)
    return None


class Container:
    """A started compose service or image container; `stop()` removes it (unless it was
    running before tiered-ci came: a developer's own is left as found)."""

    def __init__(self, service: BackingService, root: Path, environ: Mapping[str, str]) -> None:
        self.service = service
        self.root = root
        self.environ = dict(environ)
        self.stop_argv: tuple[str, ...] | None = None
        self.reused = False

    def run(self, argv: tuple[str, ...], log: Path, *, timeout: float | None = None) -> str:
        with log.open("a", encoding="utf-8") as out:
            out.write(f"$ {subprocess.list2cmdline(argv)}\n")
        try:
            done = subprocess.run(
                argv, capture_output=True, text=True, check=False, env=self.environ,
                cwd=self.root, timeout=timeout,
            )  # fmt: skip
        except FileNotFoundError:
            raise ServiceError(
                f"backing service {self.service.name!r}: {ENGINE} is not installed"
            ) from None
        except subprocess.TimeoutExpired:
            raise ServiceError(
                f"backing service {self.service.name!r}: {subprocess.list2cmdline(argv)} did "
                f"not finish within {timeout:g} s"
            ) from None
        with log.open("a", encoding="utf-8") as out:
            out.write(done.stdout + done.stderr)
        if done.returncode != 0:
            output = (done.stderr or done.stdout).strip()[-2000:] or "(no output)"
            raise ServiceError(
                f"backing service {self.service.name!r}: {subprocess.list2cmdline(argv)} exited "
                f"{done.returncode}: {output}"
            )
        return done.stdout

    def start(self, log: Path, token: str) -> int:
        """Start it; returns the host port its container port is published on."""
        service = self.service
        grace = service.timeout_seconds + 60  # the engine's own wait, plus pulling
        if service.compose is not None:
            file = compose_file(service, self.root)
            self.reused = bool(self.run(compose_running_argv(service, file), log).strip())
            if not self.reused:
                self.stop_argv = compose_stop_argv(service, file)
                self.run(compose_up_argv(service, file), log, timeout=grace)
            port_text = self.run(compose_port_argv(service, file), log)
        else:
            name = f"tiered-ci-{service.name}-{token}"
            self.stop_argv = image_stop_argv(name)
            self.run(image_run_argv(service, name), log, timeout=grace)
            port_text = self.run(image_port_argv(service, name), log)
        port = published_port(port_text)
        if port is None:
            raise ServiceError(
                f"backing service {service.name!r}: container port {service.container_port} is "
                f"not published ({port_text.strip() or 'no output'}); publish it in the compose "
                "file (ports:) or fix container-port"
            )
        return port

    def stop(self, log: Path) -> None:
        if self.stop_argv is not None:
            self.run(self.stop_argv, log, timeout=120)
