"""Is a service ready? A TCP port that accepts, or a command that exits 0, polled
until a deadline; a service that never gets there fails naming the service, the
check and the check's (or the service's) last output.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from tiered_ci.backing.model import ServiceError

__all__ = ["Probe", "command_probe", "tcp_probe", "wait_ready"]

_PROBE_TIMEOUT = 5.0  # one check may take this long (a hung pg_isready is not ready)


@dataclass(frozen=True, slots=True)
class Probe:
    """The result of one check: did it pass, and what it said."""

    check: str  # "TCP 127.0.0.1:5432" or the command line
    ok: bool
    output: str = ""


def tcp_probe(host: str, port: int) -> Probe:
    check = f"TCP {host}:{port} accepts a connection"
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return Probe(check, ok=True)
    except OSError as exc:
        return Probe(check, ok=False, output=str(exc))


def command_probe(argv: Sequence[str], env: Mapping[str, str]) -> Probe:
    check = subprocess.list2cmdline(argv)
    try:
        done = subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            check=False,
            env=dict(env),
            timeout=_PROBE_TIMEOUT,
        )
    except FileNotFoundError:
        return Probe(check, ok=False, output=f"{argv[0]}: command not found")
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Probe(check, ok=False, output=str(exc))
    output = (done.stdout + done.stderr).strip()
    return Probe(check, ok=done.returncode == 0, output=output or f"exit {done.returncode}")


def wait_ready(
    name: str,
    probe: Callable[[], Probe],
    timeout: float,
    *,
    exited: Callable[[], str | None] = lambda: None,
    log_tail: Callable[[], str] = lambda: "",
) -> Probe:
    """Poll `probe` until it passes; raise ServiceError at `timeout` seconds, or as soon
    as `exited` reports the service's process gone."""
    deadline = time.monotonic() + timeout
    pause = 0.05
    while True:
        result = probe()
        if result.ok:
            return result
        gone = exited()
        if gone is not None:
            raise ServiceError(
                f"backing service {name!r} {gone} before it was ready ({result.check}); "
                f"its last output:\n{log_tail() or '(none)'}"
            )
        if time.monotonic() >= deadline:
            raise ServiceError(
                f"backing service {name!r} was not ready within {timeout:g} s: the check "
                f"{result.check!r} last said: {result.output or '(nothing)'}; the service's "
                f"last output:\n{log_tail() or '(none)'}\n"
                "Raise timeout-seconds, or fix the service's command or ready-command"
            )
        time.sleep(min(pause, max(deadline - time.monotonic(), 0.0)))
        pause = min(pause * 2, 0.5)
