"""The download-artifact stand-in: one folder per artifact under $STANDIN_ARTIFACTS."""

# ruff: noqa: T201 - a step's output is how an action talks to the log

from __future__ import annotations

import fnmatch
import os
import shutil
from pathlib import Path

STORE = Path(os.environ["STANDIN_ARTIFACTS"])
WORKSPACE = Path(os.environ["GITHUB_WORKSPACE"])


def download() -> None:
    wanted = os.environ.get("NAME") or os.environ.get("PATTERN") or "*"
    dest = WORKSPACE / os.environ.get("DEST", "")
    merge = os.environ.get("MERGE") == "true" or bool(os.environ.get("NAME"))
    names = (
        sorted(p.name for p in STORE.glob("*") if fnmatch.fnmatchcase(p.name, wanted))
        if STORE.is_dir()
        else []
    )
    for name in names:
        shutil.copytree(STORE / name, dest if merge else dest / name, dirs_exist_ok=True)
    print(f"download-artifact: {len(names)} artifact(s): {', '.join(names)}")


if __name__ == "__main__":
    download()
