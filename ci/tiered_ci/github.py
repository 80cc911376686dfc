"""GitHub Actions files: `$GITHUB_OUTPUT` heredocs, shared by `plan` and `filter`."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from tiered_ci.errors import InputError

__all__ = [
    "append",
    "append_all",
    "check_writable",
    "optional_summary",
    "output_text",
    "require_output",
]


def output_text(values: Mapping[str, str], delimiter: str | None = None) -> str:
    """`name<<DELIM` ... `DELIM` blocks, one per value.

    The delimiter is random: a fixed one could be forged by a value (a file name
    in a JSON list) to inject further outputs.
    """
    marker = delimiter or f"ghadelimiter_{os.urandom(16).hex()}"
    chunks = []
    for name, value in values.items():
        if marker in value or marker in name:  # pragma: no cover - 128 random bits
            raise InputError("heredoc delimiter collision; run again")
        chunks.append(f"{name}<<{marker}\n{value}\n{marker}\n")
    return "".join(chunks)


def require_output(output: str | None, flag: str = "--format github") -> Path:
    """The `$GITHUB_OUTPUT` path, or a usage error before any work is done."""
    if not output:
        raise InputError(
            f"{flag}: GITHUB_OUTPUT is not set; run inside GitHub Actions or set GITHUB_OUTPUT=FILE"
        )
    return check_writable(Path(output), "GITHUB_OUTPUT")


def optional_summary(summary: str | None) -> Path | None:
    """The `$GITHUB_STEP_SUMMARY` path (None when unset), checked before any work is done."""
    return check_writable(Path(summary), "GITHUB_STEP_SUMMARY") if summary else None


def check_writable(path: Path, variable: str) -> Path:
    """`path` if a file can be appended there; else a usage error naming `variable`.

    Checked up front for every file a command writes, so that one bad path fails
    the command before it appends to any other (no half-written outputs).
    """
    problem = None
    if path.is_dir():
        problem = "is a directory"
    elif not path.parent.is_dir():
        problem = f"its folder {path.parent} does not exist"
    elif not os.access(path if path.exists() else path.parent, os.W_OK):
        problem = "is not writable"
    if problem is not None:
        raise InputError(f"{variable}={path}: {problem}; point {variable} at a writable file")
    return path


def append(path: Path, text: str) -> None:
    """Append text rendered in full beforehand, so a failure never leaves half an output."""
    append_all([(path, text)])


def append_all(items: Sequence[tuple[Path, str]]) -> None:
    """Open every file first, then write: a path that cannot be opened writes nothing."""
    with contextlib.ExitStack() as stack:
        handles = []
        for path, text in items:
            try:
                handles.append((stack.enter_context(path.open("a", encoding="utf-8")), text))
            except OSError as exc:
                raise InputError(
                    f"{path}: cannot open for appending ({exc.strerror or exc}); "
                    "point GITHUB_OUTPUT / GITHUB_STEP_SUMMARY at a writable file"
                ) from None
        for handle, text in handles:
            handle.write(text)
