"""GitHub Actions files: `$GITHUB_OUTPUT` heredocs, shared by `plan` and `filter`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from tiered_ci.errors import InputError


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
    return Path(output)


def append(path: Path, text: str) -> None:
    """Append text rendered in full beforehand, so a failure never leaves half an output."""
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)
