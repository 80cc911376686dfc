"""The cache stand-ins' logic: tar files named by key under $STANDIN_CACHE."""

# ruff: noqa: T201 - a step's output is how an action talks to the log

from __future__ import annotations

import os
import sys
import tarfile
from pathlib import Path

STORE = Path(os.environ["STANDIN_CACHE"])


def _entry(key: str) -> Path:
    return STORE / (key.replace("/", "%2F") + ".tar")


def _output(name: str, value: str) -> None:
    with Path(os.environ["GITHUB_OUTPUT"]).open("a", encoding="utf-8") as out:
        out.write(f"{name}={value}\n")


def restore() -> None:
    key = os.environ["KEY"]
    prefixes = [p.strip() for p in os.environ.get("RESTORE_KEYS", "").splitlines() if p.strip()]
    matched = key if _entry(key).is_file() else None
    for prefix in [] if matched else prefixes:
        entries = sorted(
            (p for p in STORE.glob("*.tar") if p.stem.replace("%2F", "/").startswith(prefix)),
            key=lambda p: p.stat().st_mtime_ns,
        )
        if entries:
            matched = entries[-1].stem.replace("%2F", "/")
            break
    _output("cache-hit", "true" if matched == key else "false")
    _output("cache-matched-key", matched or "")
    if matched:
        with tarfile.open(_entry(matched)) as tar:
            tar.extractall(os.environ["GITHUB_WORKSPACE"], filter="data")
        print(f"cache: restored {matched}")
    else:
        print(f"cache: no entry for {key}")


def save() -> None:
    key = os.environ["KEY"]
    STORE.mkdir(parents=True, exist_ok=True)
    if _entry(key).exists():
        print(f"cache: {key} exists; entries are immutable, not saved")
        return
    workspace = Path(os.environ["GITHUB_WORKSPACE"])
    paths = [p.strip() for p in os.environ["CACHE_PATH"].splitlines() if p.strip()]
    missing = [p for p in paths if not (workspace / p).exists()]
    if missing:
        print(f"::warning::cache: path does not exist: {', '.join(missing)}; not saved")
        return
    tmp = _entry(key).with_suffix(f".{os.getpid()}.tmp")
    with tarfile.open(tmp, "w") as tar:
        for path in paths:
            tar.add(workspace / path, arcname=path)
    tmp.rename(_entry(key))
    print(f"cache: saved {key}")


if __name__ == "__main__":
    {"restore": restore, "save": save}[sys.argv[1]]()
