"""A backing service as a local process: `command` in a fresh folder on a free port.

Started in a session of its own (its own process group), so a stop reaches its
children too (postgres forks a process per connection) and a Ctrl-C aimed at
the terminal's foreground group does not kill it before tiered-ci stops it in
order. Every process it starts carries `RUN_VARIABLE` in its environment:
`stop` sweeps any process still holding the token (a child that left the group),
and tests find leftovers the same way.

As root, `prepare` and `command` run as the service's `run-as` user (default
`nobody`): postgres and others refuse to run as root. The folder is handed to
that user; the readiness check and `worker-setup` run as the caller.
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from tiered_ci.backing import render
from tiered_ci.backing.model import BackingService, ServiceError

__all__ = [
    "RUN_VARIABLE",
    "STOP_TIMEOUT",
    "LocalProcess",
    "free_port",
    "processes_with",
    "search_path",
    "session_members",
    "start",
]

RUN_VARIABLE = "TIERED_CI_BACKING_RUN"
_PR_SET_PDEATHSIG = 1  # prctl(2)
STOP_TIMEOUT = 10.0  # seconds a service has to stop on its stop signal before SIGKILL


def free_port(host: str) -> int:
    """A port nothing listens on now (the kernel's pick; the service binds it next)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def search_path(folders: Sequence[str], path: str) -> str:
    """PATH with the service's `path` folders first; a glob's matches newest-named first
    (`/usr/lib/postgresql/*/bin`: 16 before 15)."""
    found: list[str] = []
    for pattern in folders:
        found += sorted(glob.glob(pattern), reverse=True)  # noqa: PTH207 - absolute patterns if glob.has_magic(pattern) else [pattern]
    return os.pathsep.join([*found, path] if path else found)


@dataclass(frozen=True, slots=True)
class _User:
    name: str
    uid: int
    gid: int


def _drop_to(service: BackingService) -> _User | None:
    """The user to run as: only when root, and not asked to stay root."""
    if os.name != "posix" or os.geteuid() != 0 or service.run_as == "root":
        return None
    import pwd  # noqa: PLC0415 - POSIX only

    try:
        entry = pwd.getpwnam(service.run_as)
    except KeyError:
        raise ServiceError(
            f"backing service {service.name!r}: tiered-ci runs as root and the service runs as "
            f"run-as = {service.run_as!r}, but there is no such user; create it (useradd) or "
            "set run-as to an existing unprivileged user"
        ) from None
    return _User(service.run_as, entry.pw_uid, entry.pw_gid)


def _base_folder(user: _User | None) -> str | None:
    """Where the service folder goes: the temp folder, unless another user cannot reach it."""
    base = Path(tempfile.gettempdir())
    if user is None:
        return None
    reachable = all(p.stat().st_mode & 0o001 for p in (base, *base.parents))
    return None if reachable else "/tmp"  # noqa: S108 - world-searchable, for the service's user


class LocalProcess:
    """One running `command`; `stop()` ends it and everything it started, and removes
    its folder."""

    def __init__(
        self,
        service: BackingService,
        popen: subprocess.Popen[bytes],
        folder: Path,
        token: str,
    ) -> None:
        self.service = service
        self.popen = popen
        self.folder = folder
        self.token = token

    def exited(self) -> str | None:
        code = self.popen.poll()
        return None if code is None else f"exited with code {code}"

    def stop(self) -> None:
        try:
            if self.popen.poll() is None:
                sig = getattr(signal, self.service.stop_signal)
                _signal_group(self.popen.pid, sig)
                try:
                    self.popen.wait(timeout=STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    _signal_group(self.popen.pid, signal.SIGKILL)
                    self.popen.wait(timeout=STOP_TIMEOUT)
            # Its group may outlive it (a child that ignores the signal), or a child
            # may have left the group: nothing of its session or its token stays behind.
            _signal_group(self.popen.pid, signal.SIGKILL)
            _sweep(self.token, self.popen.pid)
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def start(
    service: BackingService, log: Path, token: str, environ: Mapping[str, str]
) -> tuple[LocalProcess, dict[str, str]]:
    """Run `prepare`, then start `command`; returns the process and the template values
    (`host`, `port`, `dir`, `name`). Readiness is the caller's to wait for."""
    user = _drop_to(service)
    folder = Path(tempfile.mkdtemp(prefix=f"tiered-ci-{service.name}-", dir=_base_folder(user)))
    try:
        if user is not None:
            os.chown(folder, user.uid, user.gid)
        port = service.port or free_port(service.host)
        values = {"host": service.host, "port": str(port), "dir": str(folder), "name": service.name}
        env = dict(environ)
        env["PATH"] = search_path(service.path, env.get("PATH", ""))
        env[RUN_VARIABLE] = token
        if user is not None:
            env["HOME"] = str(folder)  # the user's own home may not exist (nobody's does not)
            env["USER"] = env["LOGNAME"] = user.name
        with log.open("ab") as out:
            for step in service.prepare:
                argv = [render.render(a, values) for a in step]
                _prepare(service, argv, env=env, folder=folder, user=user, out=out)
            argv = [render.render(a, values) for a in service.command]
            popen = _spawn(service, argv, env=env, folder=folder, user=user, out=out)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return LocalProcess(service, popen, folder, token), values


def _prepare(  # noqa: PLR0913 - one command's whole context
    service: BackingService,
    argv: list[str],
    *,
    env: dict[str, str],
    folder: Path,
    user: _User | None,
    out: BinaryIO,
) -> None:
    command = subprocess.list2cmdline(argv)
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            check=False,
            env=env,
            cwd=folder,
            timeout=service.timeout_seconds,
            user=user.uid if user else None,
            group=user.gid if user else None,
            extra_groups=[] if user else None,
        )
    except (FileNotFoundError, PermissionError):
        raise ServiceError(_not_found(service, argv[0], "prepare", user)) from None
    except subprocess.TimeoutExpired:
        raise ServiceError(
            f"backing service {service.name!r}: prepare command {command} took longer than "
            f"timeout-seconds = {service.timeout_seconds:g}"
        ) from None
    output = done.stdout + done.stderr
    out.write(f"$ {command}\n".encode() + output)
    if done.returncode != 0:
        tail = output.decode(errors="replace").strip()[-2000:]
        raise ServiceError(
            f"backing service {service.name!r}: prepare command {command} exited "
            f"{done.returncode}: {tail or '(no output)'}"
        )


def _spawn(  # noqa: PLR0913 - one command's whole context
    service: BackingService,
    argv: list[str],
    *,
    env: dict[str, str],
    folder: Path,
    user: _User | None,
    out: BinaryIO,
) -> subprocess.Popen[bytes]:
    out.write(f"$ {subprocess.list2cmdline(argv)}\n".encode())
    out.flush()
    try:
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=folder,
            start_new_session=True,
            user=user.uid if user else None,
            group=user.gid if user else None,
            extra_groups=[] if user else None,
            preexec_fn=_parent_death_signal(getattr(signal, service.stop_signal)),  # noqa: PLW1509 - one prctl call, no locks
        )
    except (FileNotFoundError, PermissionError):
        raise ServiceError(_not_found(service, argv[0], "command", user)) from None


def _parent_death_signal(sig: int) -> Callable[[], None] | None:
    """Linux: the service gets its stop signal when tiered-ci dies without stopping it
    (SIGKILL, a crash), so even then it does not outlive the session. The call runs in
    the child after it changed user (CPython sets the ids first), so it stays in force."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    prctl = libc.prctl

    def set_signal() -> None:
        prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)

    return set_signal


def _not_found(service: BackingService, program: str, key: str, user: _User | None) -> str:
    where = f"tool.tiered-ci.backing-services.{service.name}"
    # As another user, a program in a folder that user cannot read is as good as missing.
    runs_as = f" (as run-as user {user.name!r})" if user is not None else ""
    return (
        f"backing service {service.name!r}: {key}: program {program!r} not found on PATH"
        f"{runs_as}; "
        f"install it (e.g. apt-get install postgresql redis-server) or list its folder in "
        f'{where}.path (e.g. path = ["/usr/lib/postgresql/*/bin"])'
    )


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def processes_with(needle: str) -> list[int]:
    """Process ids whose environment holds `needle` (Linux /proc; [] elsewhere)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    wanted = needle.encode()
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if wanted in (entry / "environ").read_bytes():
                found.append(int(entry.name))
    return found


def session_members(sid: int) -> list[int]:
    """Live processes of session `sid` (Linux /proc; [] elsewhere). A service starts its
    own session, and its children (postgres's backends) stay in it: unlike the
    environment, which postgres and redis overwrite with their process titles."""
    proc = Path("/proc")
    found = []
    for entry in proc.iterdir() if proc.is_dir() else ():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
            if fields[0] != "Z" and int(fields[3]) == sid:
                found.append(int(entry.name))
    return found


def _sweep(token: str, sid: int) -> None:
    """SIGKILL every process of the service's session or carrying its run token, then
    wait for them to go."""
    needle = f"{RUN_VARIABLE}={token}\0"

    def remaining() -> list[int]:
        return sorted({*processes_with(needle), *session_members(sid)})

    for pid in remaining():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + STOP_TIMEOUT
    while remaining() and time.monotonic() < deadline:
        time.sleep(0.05)
