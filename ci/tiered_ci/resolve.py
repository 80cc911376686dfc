"""`check-config --resolve`: can each session's install be resolved? Asks uv; installs nothing.

Each distinct install (the requirements `tiered_ci.installs.requirement_lines` gives,
with the session's Python version) becomes one `uv pip compile` of a temporary
requirements file; every session that uses it shares the answer. uv reads its own
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


def find_uv() -> str:
    """uv's path, or the error (exit 2) that says how to get it."""
    found = shutil.which("uv")
    if found is None:
        raise InputError(
            "check-config --resolve: uv is not on PATH; install it (`pip install uv`, or "
            "see its documentation) or run check-config without --resolve"
        )
    return found


def resolve(
    installs: Sequence[SessionInstall], root: Path, read: Reader, uv: str
) -> list[Resolution]:
    """Resolve every distinct install once, in the sessions' order."""
    default_python = f"{sys.version_info.major}.{sys.version_info.minor}"
    groups: dict[tuple[tuple[str, ...], str], list[str]] = {}
    for entry in installs:
        lines = tuple(requirement_lines(entry.install, root, read))
        if lines:
            groups.setdefault((lines, entry.python or default_python), []).append(entry.session)
    results = []
    with tempfile.TemporaryDirectory(prefix="tiered-ci-resolve-") as scratch:
        for index, ((lines, python), sessions) in enumerate(groups.items()):
            spec = Path(scratch) / f"session-{index}.in"
            spec.write_text("\n".join(lines) + "\n", encoding="utf-8")
            ok, detail = _compile(uv, spec, python, root, Path(scratch))
            results.append(Resolution(tuple(sessions), python, ok, detail))
    return results


def _compile(uv: str, spec: Path, python: str, root: Path, scratch: Path) -> tuple[bool, str]:
    # `--directory` makes uv read the repository's own settings (uv.toml, [tool.uv]);
    # started from elsewhere, so a version-manager shim in front of uv does not pick a
    # Python from the repository's `.python-version` (the session's is given here).
    argv = [uv, "--directory", str(root), "pip", "compile", "--quiet", "--no-header"]
    argv += ["--python-version", python, str(spec)]
    done = subprocess.run(
        argv, cwd=scratch, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
    )
    if done.returncode == 0:
        return True, ""
    lines = [line.rstrip() for line in done.stderr.splitlines() if line.strip()]
    shown = lines[:_ERROR_LINES]
    if len(lines) > len(shown):
        shown.append(f"... ({len(lines) - len(shown)} more lines from uv)")
    return False, "\n".join(shown) or f"uv exited {done.returncode}"
