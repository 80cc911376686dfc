"""`check-config --resolve`: can each session's install be resolved? Asks uv; installs nothing.

Each distinct install (the requirements `tiered_ci.installs.requirement_lines` gives,
with the session's Python version) becomes one `uv pip compile` of a temporary
requirements file; every session that uses it shares the answer. The sessions install
with the repository's lock as constraints (`tool.tiered-ci.lock`, `tiered_ci.locks`),
so each compile gets the same `-c`: a requirement the lock's pins cannot meet does
not resolve here either, and a lock uv cannot export is a failure. uv reads its own
settings (`UV_INDEX_URL`, `UV_FIND_LINKS`, `UV_OFFLINE`, `uv.toml`), so an index
mirror or a wheel folder is configured as for any uv run. tiered-ci itself is left
out: it is the tool, not the project's dependency.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tiered_ci import locks, plugin_options
from tiered_ci.errors import InputError
from tiered_ci.installs import Reader, SessionInstall, requirement_lines

__all__ = ["Resolution", "find_uv", "resolve"]

_ERROR_LINES = 6  # of uv's message, per failing install


@dataclass(frozen=True, slots=True)
class Resolution:
    """One distinct install: the sessions that use it, and uv's verdict."""

    sessions: tuple[str, ...]
    python: str
    ok: bool
    detail: str  # uv's error, trimmed; "" when it resolved
    # Resolved, but pytest's `addopts` pass options of plugins it lacks: (option, plugin).
    plugins: tuple[tuple[str, str], ...] = ()


def find_uv() -> str:
    """uv's path, or the error (exit 2) that says how to get it."""
    found = shutil.which("uv")
    if found is None:
        raise InputError(
            "check-config --resolve: uv is not on PATH; install it (`pip install uv`, or "
            "see its documentation) or run check-config without --resolve"
        )
    return found


def resolve(  # noqa: PLR0913 - the installs, where, with what, and two settings
    installs: Sequence[SessionInstall],
    root: Path,
    read: Reader,
    uv: str,
    *,
    lock: str | bool = False,
    python: str | None = None,
    addopts: Sequence[str] = (),
) -> list[Resolution]:
    """Resolve every distinct install once, in the sessions' order, with the constraints
    of `lock` (the `tool.tiered-ci.lock` setting) as the sessions install them.
    `python`: the version for sessions that name none (CI's), else the running one.
    `addopts`: the root's pytest `addopts`; a resolved install with pytest and the root
    project that lacks a plugin they need is reported (`Resolution.plugins`)."""
    default_python = python or f"{sys.version_info.major}.{sys.version_info.minor}"
    del python
    groups: dict[tuple[tuple[str, ...], str], list[str]] = {}
    rooted: set[tuple[tuple[str, ...], str]] = set()  # installs of the root project
    for entry in installs:
        lines = tuple(requirement_lines(entry.install, root, read))
        if lines:
            key = (lines, entry.python or default_python)
            groups.setdefault(key, []).append(entry.session)
            if entry.install.root:
                rooted.add(key)
    results = []
    with tempfile.TemporaryDirectory(prefix="tiered-ci-resolve-") as scratch:
        constraints = _Constraints(uv, root, Path(scratch), lock)
        for index, ((lines, version), sessions) in enumerate(groups.items()):
            spec = Path(scratch) / f"session-{index}.in"
            spec.write_text("\n".join(lines) + "\n", encoding="utf-8")
            pins, error = constraints(version)
            ok, detail, resolved = (
                (False, error, "") if error else _compile(uv, spec, version, root, pins)
            )
            lacking: list[tuple[str, str]] = []
            names = _names(resolved)
            if ok and "pytest" in names and (lines, version) in rooted:
                lacking = plugin_options.missing(addopts, names)
            results.append(Resolution(tuple(sessions), version, ok, detail, tuple(lacking)))
    return results


def _names(compiled: str) -> list[str]:
    """The distributions a `uv pip compile` resolved (`name==version` lines)."""
    return [
        line.split("==", 1)[0].split("[", 1)[0].strip().lower()
        for line in compiled.splitlines()
        if "==" in line and not line.lstrip().startswith("#")
    ]


class _Constraints:
    """The constraints file each Python's sessions install with: (path or None, error).
    A uv.lock is exported once; a named constraints file is used as written."""

    def __init__(self, uv: str, root: Path, scratch: Path, setting: str | bool) -> None:
        self.uv, self.root, self.scratch, self.setting = uv, root, scratch, setting
        self._exported: dict[str, tuple[Path | None, str]] = {}

    def __call__(self, python: str) -> tuple[Path | None, str]:
        lock, error = locks.find_lock(
            setting=self.setting, python=python, exists=lambda p: (self.root / p).is_file()
        )
        if error is not None:
            return None, error
        if lock is None:
            return None, ""
        if not lock.uv and not lock.poetry:
            return self.root / lock.path, ""
        if lock.path not in self._exported:
            self._exported[lock.path] = self._export(lock)
        return self._exported[lock.path]

    def _export(self, lock: locks.LockFile) -> tuple[Path | None, str]:
        if lock.poetry:
            pins, _ = locks.poetry_pins((self.root / lock.path).read_text(encoding="utf-8"))
            if pins is None:
                return None, f"{lock.path}: not TOML"
        else:
            pins, said = locks.export_pins(self.uv, lock, lambda argv: _uv(argv, self.root))
            if pins is None:
                return None, f"{lock.path}: `uv export` failed:\n{_trim(said)}"
        path = self.scratch / f"constraints-{len(self._exported)}.txt"
        path.write_text(pins, encoding="utf-8")
        return path, ""


def _uv(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=cwd, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
    )


def _compile(
    uv: str, spec: Path, python: str, root: Path, constraints: Path | None
) -> tuple[bool, str, str]:
    # `--directory` makes uv read the repository's own settings (uv.toml, [tool.uv]);
    # started from elsewhere, so a version-manager shim in front of uv does not pick a
    # Python from the repository's `.python-version` (the session's is given here).
    argv = [uv, "--directory", str(root), "pip", "compile", "--quiet", "--no-header"]
    argv += ["--python-version", python, str(spec)]
    argv += ["-c", str(constraints)] if constraints is not None else []
    done = _uv(argv, spec.parent)
    if done.returncode == 0:
        return True, "", done.stdout
    return False, _trim(done.stderr) or f"uv exited {done.returncode}", ""


def _trim(stderr: str) -> str:
    """uv's message, cut to what a report line holds."""
    lines = [line.rstrip() for line in stderr.splitlines() if line.strip()]
    shown = lines[:_ERROR_LINES]
    if len(lines) > len(shown):
        shown.append(f"... ({len(lines) - len(shown)} more lines from uv)")
    return "\n".join(shown)
