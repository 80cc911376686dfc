"""Start a set of backing services, hand their environment to the tests, stop them all.

`Services` is a context manager: every service it started is stopped on the way
out, whether the tests passed, failed, or were interrupted (Ctrl-C is a
KeyboardInterrupt; a SIGTERM, as CI sends on cancel, is turned into one while
services run). Each service's output goes to `<logs>/<name>.log`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType

from tiered_ci.backing import containers, process, ready, render
from tiered_ci.backing.model import BackingService, ServiceError

__all__ = ["Services", "choose_source", "log_tail"]

_TAIL_LINES = 30


def choose_source(service: BackingService, engine_problem: str | None) -> str:
    """`compose`, `image` or `command`: a container when an engine runs, else the local
    command; a container-only service without an engine is an error naming the fix."""
    if engine_problem is None or service.sources == ("command",):
        return service.sources[0]
    if service.command:
        return "command"
    kind, value = ("compose", service.compose) if service.compose else ("image", service.image)
    raise ServiceError(
        f"backing service {service.name!r}: {kind} = {value!r} needs a container engine, and "
        f"none runs here ({engine_problem}); start one, or add a local command to "
        f"[tool.tiered-ci.backing-services.{service.name}] (command = [...], a process "
        "tiered-ci starts on a free port; docs/configuration.md shows postgres and redis)"
    )


def log_tail(log: Path, lines: int = _TAIL_LINES) -> str:
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.rstrip().splitlines()[-lines:])


@dataclass(frozen=True, slots=True)
class _Started:
    service: BackingService
    how: str  # compose, image, command, or reused (already running: left as found)
    log: Path
    stop: Callable[[], None]


class Services:
    """`with Services(needed, root=..., logs=...) as running:` then `running.env`."""

    def __init__(  # noqa: PLR0913 - keyword settings, one per caller's need
        self,
        services: Sequence[BackingService],
        *,
        root: Path,
        logs: Path,
        say: Callable[[str], None] = print,
        environ: Mapping[str, str] | None = None,
        engine_problem: Callable[[Mapping[str, str]], str | None] = containers.engine_problem,
    ) -> None:
        self.services = tuple(services)
        self.root = root
        self.logs = logs
        self.say = say
        self.environ = dict(os.environ if environ is None else environ)
        self.engine_problem = engine_problem
        self.token = f"{os.getpid()}-{secrets.token_hex(4)}"
        self.env: dict[str, str] = {}
        self.started: list[_Started] = []
        self._previous_sigterm: object = None

    # --- the context manager ------------------------------------------------------

    def __enter__(self) -> Services:  # noqa: PYI034 - Self needs 3.11; the class is final
        self._trap_sigterm()
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if error is not None and self.started and not isinstance(error, ServiceError):
                self.show_logs()
        finally:
            self.stop()

    # --- starting -------------------------------------------------------------------

    def start(self) -> None:
        if not self.services:
            return
        self.logs.mkdir(parents=True, exist_ok=True)
        wants_engine = any(s.compose or s.image for s in self.services)
        problem = self.engine_problem(self.environ) if wants_engine else "not needed"
        env: dict[str, str] = {}
        setup: list[tuple[str, tuple[str, ...]]] = []
        for service in self.services:
            values = self._start_one(service, choose_source(service, problem))
            env.update({k: render.render(v, values) for k, v in service.env.items()})
            setup += [
                (service.name, tuple(render.render(a, values) for a in argv))
                for argv in service.worker_setup
            ]
        self.env = render.session_environment(env, setup)

    def _start_one(self, service: BackingService, how: str) -> dict[str, str]:
        log = self.logs / f"{service.name}.log"
        log.write_text("", encoding="utf-8")
        began = time.monotonic()
        if how == "command":
            values, check = self._start_process(service, log)
        else:
            values, check = self._start_container(service, how, log)
        where = f"{values['host']}:{values['port']}"
        folder = f" in {values['dir']}" if values.get("dir") else ""
        took = time.monotonic() - began
        if self.started and self.started[-1].how == "reused":
            self.say(f"backing service {service.name}: already reachable on {where}: used as is")
        else:
            self.say(
                f"backing service {service.name}: {how} ready on {where}{folder} after "
                f"{took:.1f} s ({check}); log: {log}"
            )
        return values

    def _start_process(self, service: BackingService, log: Path) -> tuple[dict[str, str], str]:
        env = dict(self.environ)
        env["PATH"] = process.search_path(service.path, env.get("PATH", ""))
        if service.port is not None:
            values = {
                "host": service.host,
                "port": str(service.port),
                "dir": "",
                "name": service.name,
            }
            first = self._probe(service, values, env)()
            if first.ok:
                # A developer's own server on the configured port: use it, leave it running.
                self.started.append(_Started(service, "reused", log, lambda: None))
                return values, first.check
        running, values = process.start(service, log, self.token, self.environ)
        self.started.append(_Started(service, "command", log, running.stop))
        probe = ready.wait_ready(
            service.name,
            self._probe(service, values, env),
            service.timeout_seconds,
            exited=running.exited,
            log_tail=lambda: log_tail(log),
        )
        return values, probe.check

    def _start_container(
        self, service: BackingService, how: str, log: Path
    ) -> tuple[dict[str, str], str]:
        container = containers.Container(service, self.root, self.environ)
        self.started.append(_Started(service, how, log, lambda: container.stop(log)))
        port = container.start(log, self.token)
        if container.reused:
            self.started[-1] = _Started(service, "reused", log, lambda: None)
        values = {"host": service.host, "port": str(port), "dir": "", "name": service.name}
        if how == "compose" and not service.ready_command:
            return values, "the compose file's health check (docker compose up --wait)"
        probe = ready.wait_ready(
            service.name,
            self._probe(service, values, self.environ),
            service.timeout_seconds,
            log_tail=lambda: log_tail(log),
        )
        return values, probe.check

    def _probe(
        self, service: BackingService, values: Mapping[str, str], env: Mapping[str, str]
    ) -> Callable[[], ready.Probe]:
        if service.ready_command:
            argv = [
                render.finish(render.render(a, values), render.MAIN_WORKER)
                for a in service.ready_command
            ]
            return lambda: ready.command_probe(argv, env)
        return lambda: ready.tcp_probe(values["host"], int(values["port"]))

    # --- stopping ---------------------------------------------------------------------

    def stop(self) -> None:
        """Stop every started service, the last started first; errors are reported, and
        the others are still stopped."""
        try:
            while self.started:
                started = self.started.pop()
                try:
                    started.stop()
                except (ServiceError, OSError) as exc:
                    self.say(f"backing service {started.service.name}: stopping failed: {exc}")
        finally:
            self._restore_sigterm()

    def show_logs(self) -> None:
        """The last lines of every started service's log (a failed run wants them)."""
        for started in self.started:
            tail = log_tail(started.log)
            # Showing is best effort: a closed stdout must not keep a service running.
            with contextlib.suppress(OSError):
                self.say(
                    f"--- backing service {started.service.name}: last lines of "
                    f"{started.log} ---\n{tail or '(empty)'}"
                )

    # --- SIGTERM is an interrupt while services run ---------------------------------

    def _trap_sigterm(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        self._previous_sigterm = signal.signal(signal.SIGTERM, _interrupt)

    def _restore_sigterm(self) -> None:
        if self._previous_sigterm is not None:
            with contextlib.suppress(ValueError, TypeError):
                signal.signal(signal.SIGTERM, self._previous_sigterm)  # type: ignore[arg-type]
            self._previous_sigterm = None


def _interrupt(signum: int, frame: FrameType | None) -> None:
    del signum, frame
    raise KeyboardInterrupt
