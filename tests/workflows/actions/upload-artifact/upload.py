"""The upload-artifact stand-in: one folder per artifact under $STANDIN_ARTIFACTS."""

# ruff: noqa: T201 - a step's output is how an action talks to the log

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

STORE = Path(os.environ["STANDIN_ARTIFACTS"])
WORKSPACE = Path(os.environ["GITHUB_WORKSPACE"])


def matched(patterns: str, *, hidden: bool) -> list[Path]:
    """Files the `path` input names (globs, one a line, relative to the workspace)."""
    found: list[Path] = []
    for pattern in (p.strip() for p in patterns.splitlines()):
        for path in WORKSPACE.glob(pattern) if pattern else ():
            found += [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    if not hidden:  # dot files and folders stay out unless include-hidden-files
        found = [
            p for p in found if not any(s.startswith(".") for s in p.relative_to(WORKSPACE).parts)
        ]
    return sorted(set(found))


def upload() -> None:
    name = os.environ["NAME"]
    found = matched(os.environ["ARTIFACT_PATH"], hidden=os.environ.get("HIDDEN") == "true")
    if not found:
        level = os.environ.get("IF_NO_FILES", "warn")
        message = f"upload-artifact: no files found for {name}"
        if level == "error":
            sys.exit(f"::error::{message}")
        print(f"::warning::{message}" if level == "warn" else message)
        return
    target = STORE / name
    try:
        target.mkdir(parents=True)
    except FileExistsError:
        sys.exit(f"::error::upload-artifact: an artifact named {name!r} was uploaded already")
    for path in found:
        dest = target / path.relative_to(WORKSPACE)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest)
    print(f"upload-artifact: {name}: {len(found)} file(s)")


if __name__ == "__main__":
    upload()
