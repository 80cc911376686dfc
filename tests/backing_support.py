"""Finding processes a backing-service run left behind, independently of how tiered-ci
stops them.

Two facts the kernel keeps: a marker variable the test puts in the environment of
what it starts (inherited by pytest, nox, sh and most servers; postgres and redis
overwrite their environment with their process titles, so not them), and each
process's working folder: a `command` service runs in its own folder (postgres and
every backend it forks in `<folder>/data`, redis in `<folder>`), which tiered-ci
announces (`ready on HOST:PORT in FOLDER after ...`) and removes when it stops.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

__all__ = ["leftovers", "service_folders"]

_FOLDER = re.compile(r"ready on \S+ in (/\S+) after ")


def service_folders(output: str) -> list[str]:
    """The folders of the `command` services a run announced."""
    return _FOLDER.findall(output)


def leftovers(marker: str, folders: list[str]) -> list[str]:
    """Live processes (no zombies) holding the marker or working inside a service folder."""
    needle = f"LEFTOVER_MARKER={marker}\0".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            status = (entry / "status").read_text(encoding="utf-8")
            if re.search(r"^State:\s+Z", status, re.MULTILINE):
                continue
            cwd = str((entry / "cwd").readlink()).removesuffix(" (deleted)")
            marked = needle in (entry / "environ").read_bytes()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        inside = any(cwd == f or cwd.startswith(f"{f}/") for f in folders)
        if marked or inside:
            found.append(f"{entry.name} (cwd {cwd}): {command}")
    return found
