"""Folders of another toolchain (a TypeScript front-end, Go or Java clients). Pure.

A change to `frontend/` cannot break a Python test that never reads it, yet left
unmapped it runs everything (`unmapped = "run-all"`). init writes such a folder
to `ignore` when three things hold: a toolchain's manifest marks its root
(`package.json`, `go.mod`, `Cargo.toml`, ...), no tracked Python file lies
inside it, and no Python test or conftest names its path. `ignore` comes first
in the mapping, so it would hide the folder from an image too: a folder inside
a service's build context stays mapped (the service owns it), and one only a
root-context build could copy is ignored only when the root `.dockerignore`
keeps it out of that build.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from tiered_ci.adopt.proposal import Reader, is_test_file

__all__ = ["MANIFESTS", "Toolchains", "toolchains"]

# A toolchain's manifest -> its name in the comment init writes.
MANIFESTS = {
    "package.json": "Node",
    "go.mod": "Go",
    "Cargo.toml": "Rust",
    "pom.xml": "Maven",
    "build.gradle": "Gradle",
    "build.gradle.kts": "Gradle",
    "Gemfile": "Ruby",
    "composer.json": "PHP",
    "mix.exs": "Elixir",
    "Package.swift": "Swift",
}


@dataclass
class Toolchains:
    """What init decided about each toolchain folder: ignored, or kept and why."""

    ignore: dict[str, str] = field(default_factory=dict)  # folder -> toolchain
    kept: dict[str, str] = field(default_factory=dict)  # folder -> why it stays mapped


def toolchains(files: set[str], read: Reader, contexts: set[str]) -> Toolchains:
    """Decide each toolchain folder. `contexts` are the build contexts of the
    services init found (`""` for the repository root)."""
    found = Toolchains()
    python_folders = {posixpath.dirname(f) for f in files if f.endswith(".py")}
    readers = [f for f in files if is_test_file(f) or posixpath.basename(f) == "conftest.py"]
    for folder, toolchain in _roots(files).items():
        if any(p == folder or p.startswith(f"{folder}/") for p in python_folders):
            continue  # Python lives there too: a test may import it
        inside = [c for c in contexts if c and (folder == c or folder.startswith(f"{c}/"))]
        if inside:
            found.kept[folder] = f"inside the build context {inside[0]}/ of an image"
            continue
        if "" in contexts and not _dockerignored(folder, read(".dockerignore")):
            found.kept[folder] = "an image builds from the repository root and may copy it"
            continue
        reader = next((f for f in sorted(readers) if _names(read(f), folder)), None)
        if reader is not None:
            found.kept[folder] = f"{reader} names it"
            continue
        found.ignore[folder] = toolchain
    return found


def _roots(files: set[str]) -> dict[str, str]:
    """Outermost folders holding a toolchain manifest (never the root), sorted."""
    roots: dict[str, str] = {}
    for path in sorted(files, key=lambda p: (p.count("/"), p)):
        folder, name = posixpath.split(path)
        if name not in MANIFESTS or not folder:
            continue
        if any(part.startswith(".") for part in folder.split("/")):
            continue  # .github/actions/..., tooling
        if not any(folder == r or folder.startswith(f"{r}/") for r in roots):
            roots[folder] = MANIFESTS[name]
    return dict(sorted(roots.items()))


def _names(text: str | None, folder: str) -> bool:
    """Whether a test's text names `folder` as a path (`"frontend/dist"`, `/ "frontend"`)."""
    if not text:
        return False
    last = posixpath.basename(folder)
    return re.search(rf"""["'/]{re.escape(last)}["'/]""", text) is not None


def _dockerignored(folder: str, text: str | None) -> bool:
    """Whether the root .dockerignore keeps `folder` out of a root-context build.

    Only the two plain spellings count: `*` with no `!` line re-including the
    folder, or a line naming the folder (or a parent) itself. Anything cleverer
    reads as "not ignored", which keeps the folder mapped.
    """
    if not text:
        return False
    lines = [line.strip().rstrip("/") for line in text.splitlines()]
    lines = [line.removeprefix("./") for line in lines if line and not line.startswith("#")]
    parents = {"/".join(folder.split("/")[:i]) for i in range(1, folder.count("/") + 2)}
    named = any(line in parents or line in {f"{p}/**" for p in parents} for line in lines)
    everything = "*" in lines or "**" in lines
    reincluded = any(
        line.startswith("!")
        and (line[1:] in parents or folder.startswith(line[1:].rstrip("*").rstrip("/") + "/"))
        for line in lines
    )
    return (named or everything) and not reincluded
