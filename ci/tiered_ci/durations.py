"""The durations store: `{node_id: seconds}` as JSON, the format of pytest-split's file.

Keeping pytest-split's `.test_durations` format means a team switching over
keeps its history, and the file stays a plain, reviewable JSON object. The
pure functions (`parse`, `merge`, `dumps`, `parse_node_ids`) validate and combine;
`read` / `write` are the only I/O, and `write` replaces the file atomically so a
crashed run never leaves half a file behind.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from tiered_ci.errors import InputError

__all__ = [
    "MAX_SECONDS",
    "RECORD_HINT",
    "dumps",
    "merge",
    "parse",
    "parse_node_ids",
    "read",
    "read_text",
    "write",
]

RECORD_HINT = "record one with `pytest --record-durations`"

# No test runs for 115 days; a bigger value is corrupt, and 1e308 would overflow the sums
# that shard and plan take (math.fsum raises OverflowError).
MAX_SECONDS = 1e7


def parse(text: str, source: str) -> dict[str, float]:
    """Validate a durations document; `source` names it in error messages."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{source}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); "
            'expected an object {"<node id>": seconds}'
        ) from None
    except RecursionError:
        raise InputError(
            f'{source}: nested too deeply; expected an object {{"<node id>": seconds}}'
        ) from None
    if isinstance(document, list):
        # pytest-split wrote a list of [node_id, seconds] pairs before 0.4; accept it.
        document = _pairs(document, source)
    if not isinstance(document, dict):
        raise InputError(
            f'{source}: expected a JSON object {{"<node id>": seconds}}, got {_kind(document)}'
        )
    return {node_id: _seconds(value, node_id, source) for node_id, value in document.items()}


def _pairs(document: list[object], source: str) -> dict[object, object]:
    pairs: dict[object, object] = {}
    for index, entry in enumerate(document):
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)):
            raise InputError(
                f'{source}: entry {index}: expected a ["<node id>", seconds] pair, '
                f"got {_kind(entry)}; the current format is an object"
            )
        pairs[entry[0]] = entry[1]
    return pairs


def _seconds(value: object, node_id: str, source: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{source}: {node_id!r}: expected a number of seconds, got {_kind(value)}")
    if not math.isfinite(value) or not 0 <= value <= MAX_SECONDS:
        raise InputError(
            f"{source}: {node_id!r}: expected seconds from 0 to {MAX_SECONDS:g}, got {value}"
        )
    return float(value)


def _kind(value: object) -> str:
    names = {str: "a string", list: "a list", dict: "an object", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"the number {value}"
    return names.get(type(value), type(value).__name__)


def merge(
    documents: Iterable[Mapping[str, float]], keep: Iterable[str] | None = None
) -> dict[str, float]:
    """Later documents win per test; with `keep`, tests not in it are dropped.

    Shard jobs each upload the durations they measured; merging them onto the
    committed file in command-line order makes the newest measurement win.
    """
    merged: dict[str, float] = {}
    for document in documents:
        merged.update(document)
    if keep is None:
        return merged
    wanted = set(keep)
    return {node_id: seconds for node_id, seconds in merged.items() if node_id in wanted}


def dumps(durations: Mapping[str, float]) -> str:
    # Sorted, indented: the layout pytest-split writes, so diffs stay small either way.
    return json.dumps(dict(durations), sort_keys=True, indent=4) + "\n"


def parse_node_ids(text: str, source: str) -> list[str]:
    """Node ids from `pytest --collect-only -q` output: one a line, first occurrence kept.

    Lines without `::` (pytest's "N tests collected" summary, warnings, blank
    lines) are not test ids and are skipped.
    """
    seen: dict[str, None] = {}
    for line in text.splitlines():
        node_id = line.strip()
        if "::" in node_id:
            seen.setdefault(node_id, None)
    if not seen:
        raise InputError(
            f"{source}: no test node ids found; expected one `path::test` a line, "
            "as printed by `pytest --collect-only -q`"
        )
    return list(seen)


# --- I/O at the edge -----------------------------------------------------------


def read_text(path: Path, what: str = "durations file") -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        hint = f"; {RECORD_HINT}" if what == "durations file" else ""
        raise InputError(f"{path}: {what} not found{hint}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read {what}: {exc}") from None


def read(path: Path) -> dict[str, float]:
    return parse(read_text(path), str(path))


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock for a read-merge-replace of `path` (W10).

    Two shard jobs merging into one file each read it, merge and replace it; without
    a lock the later replace drops the other's durations. The lock is on the folder
    (flock on its descriptor): the file itself is replaced, so a lock on it would
    not outlive the replace, and a lock file beside it would be a new untracked file
    in the repository. Where `fcntl` is missing (Windows) the body runs unlocked.
    """
    try:
        import fcntl  # noqa: PLC0415 - POSIX only
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    folder = path.parent if str(path.parent) else Path()
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


def write(path: Path, durations: Mapping[str, float]) -> None:
    """Replace `path` atomically: readers see the old file or the new one, never half."""
    text = dumps(durations)
    directory = path.parent if str(path.parent) else Path()
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
