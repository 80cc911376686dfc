"""How a session's environment is installed, and when an existing one is stale. Pure.

A domain or tier names its install (`tiered_ci.config.Install`); this module turns
it into the argument lists for `session.install` and into a key: a hash of those
arguments, the Python asked for and the content of every file they read
(requirement files, the pyproject of each editable folder). The sessions keep the
key in the environment; the same key reuses it without running an installer,
another key rebuilds it, so a changed requirement file never leaves stale
packages behind.

The in-repo packages those folders depend on (`[tool.uv.sources]` paths and
workspace members, transitively) key it too: an editable one by its metadata
files, one installed as a copy by the state of its files (a folder input, written
with a trailing `/`), so a reused environment never tests an old copy of a
package the repository changed since.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from tiered_ci.model import DEFAULT_INSTALL, Config, Install, Tier

__all__ = [
    "STAMP",
    "EnvSpec",
    "GroupResolver",
    "SourceResolver",
    "env_spec",
    "full_e2e_install",
    "group_source",
    "in_repo_inputs",
    "quick_install",
    "stamp_key",
    "uv_sources",
]

STAMP = ".tiered-ci-install.json"  # inside the environment's folder
# Files of a folder that hold its dependencies: a change to one rebuilds the env.
_METADATA = ("pyproject.toml", "setup.py", "setup.cfg")

GroupResolver = Callable[[str, str], list[str]]  # (folder, group) -> requirements
# folder -> the in-repo packages it depends on: (repository-relative folder, editable?, name)
SourceResolver = Callable[[str], list[tuple[str, bool, str]]]


@dataclass(frozen=True, slots=True)
class EnvSpec:
    """The install commands of one environment and the files its key covers."""

    commands: tuple[tuple[str, ...], ...]  # each: the arguments of one `session.install`
    inputs: tuple[str, ...]  # repository paths whose content keys the environment
    # In-repo packages installed as a copy: uv must rebuild them (its cache keys a local
    # package's build by its metadata files only), see tiered_ci.nox.
    copies: tuple[str, ...] = ()


def quick_install(tier: Tier) -> Install:
    """`quick`'s environment: its own install table (which states everything, lint tools
    included), else the root's `lint` group, with the project and `test` group when it
    runs pytest."""
    if tier.install is not None:
        return tier.install
    groups = ("test", "lint") if tier.run_pytest else ("lint",)
    return Install(root=tier.run_pytest, groups=groups)


def full_e2e_install(config: Config) -> tuple[str, Install]:
    """`full-e2e`'s environment, the root's test environment, and the tier that states
    it: the unit tier's install, else the integration tier's (`tiered-ci init` writes
    these when the root has no `test` group), else the default (root + `test` group)."""
    for name in ("unit", "integration"):
        install = config.tier(name).install
        if install is not None:
            return name, install
    return "unit", DEFAULT_INSTALL


def group_source(group: str) -> tuple[str, str]:
    """`test` -> (".", "test"); `packages/a:test` -> ("packages/a", "test")."""
    folder, sep, name = group.rpartition(":")
    return (folder.rstrip("/") or ".", name) if sep else (".", group)


def env_spec(  # noqa: PLR0913 - keyword-only inputs, one per source of the spec
    install: Install,
    *,
    has_project: bool,
    groups: GroupResolver,
    tiered_ci: Sequence[str] = (),
    isolated: bool = False,
    sources: SourceResolver | None = None,
) -> EnvSpec:
    """Commands installing `install` (plus tiered-ci's `tiered_ci` spec, when given).

    `isolated` (a test environment that leaves the root project out) holds only
    what the domain declares, so tiered-ci (the pytest plugin) goes in with
    `--no-deps`: its own dependencies must not hide a package's missing one.
    `sources` names each installed folder's in-repo dependencies (`in_repo_inputs`).
    """
    suffix = f"[{','.join(install.extras)}]" if install.extras else ""
    main: list[str] = []
    inputs = ["pyproject.toml"] if has_project else []
    if install.root and has_project:
        main += ["-e", f".{suffix}"]
    for folder in install.editable:
        main += ["-e", f"{folder.rstrip('/')}{suffix}"]
        inputs += [f"{folder.rstrip('/')}/{name}" for name in _METADATA]
    for requirement_file in install.requirements:
        main += ["-r", requirement_file]
        inputs.append(requirement_file)
    for group in install.groups:
        folder, name = group_source(group)
        main += groups(folder, name)
        inputs.append(f"{folder}/pyproject.toml" if folder != "." else "pyproject.toml")
    main += install.packages
    commands: list[tuple[str, ...]] = []
    # Compared whole, not token by token: `-e ../tiered-ci` next to the project's
    # `-e .` keeps its `-e`; tiered-ci's own checkout is the project already.
    if tiered_ci and not isolated and list(tiered_ci) != main[: len(tiered_ci)]:
        main += tiered_ci
    if main:
        commands.append(tuple(main))
    if tiered_ci and isolated:
        commands.append(("--no-deps", *tiered_ci))
        commands.append(("tomli>=2.0; python_version < '3.11'",))
    copies: list[str] = []
    if sources is not None:
        installed = ["."] if install.root and has_project else []
        installed += [_norm(folder) for folder in install.editable]
        found, copies = in_repo_inputs(installed, sources)
        inputs += found
    return EnvSpec(tuple(commands), tuple(dict.fromkeys(inputs)), tuple(copies))


def in_repo_inputs(
    installed: Sequence[str], sources: SourceResolver
) -> tuple[list[str], list[str]]:
    """Key inputs of the in-repo packages `installed` folders depend on, transitively (an
    editable one's metadata files; one installed as a copy, its folder `folder/` too),
    and the names of those installed as a copy."""
    seen = set(installed)
    todo = list(installed)
    out: list[str] = []
    copies: list[str] = []
    while todo:
        for folder, editable, name in sources(todo.pop(0)):
            if folder in seen:
                continue
            seen.add(folder)
            todo.append(folder)
            out += [name if folder == "." else f"{folder}/{name}" for name in _METADATA]
            if not editable:
                out.append(f"{folder}/" if folder != "." else "./")
                copies.append(name)
    return out, copies


def uv_sources(
    folder: str, document: Mapping[str, object], workspace: Mapping[str, str]
) -> list[tuple[str, bool, str]]:
    """The in-repo packages a pyproject's `[tool.uv.sources]` points at: (folder relative
    to the repository, editable?). `workspace`: a workspace member's folder by normalized
    project name. Paths leaving the repository, and archives, are not packages of it."""
    tool = document.get("tool")
    uv = tool.get("uv") if isinstance(tool, Mapping) else None
    table = uv.get("sources") if isinstance(uv, Mapping) else None
    out: list[tuple[str, bool, str]] = []
    for name, value in table.items() if isinstance(table, Mapping) else ():
        for source in value if isinstance(value, list) else [value]:
            if not isinstance(source, Mapping):
                continue
            # uv installs a path source as a copy unless it says editable.
            editable = source.get("editable") is True
            if isinstance(path := source.get("path"), str):
                target = _norm(posixpath.normpath(posixpath.join(folder, path)))
                if not target.startswith("..") and not target.endswith(_ARCHIVES):
                    out.append((target, editable, str(name)))
            elif source.get("workspace") is True and (member := workspace.get(_name(name))):
                out.append((member, editable, str(name)))
    return out


_ARCHIVES = (".whl", ".tar.gz", ".zip")


def _norm(folder: str) -> str:
    return folder.removeprefix("./").rstrip("/") or "."


def _name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def stamp_key(spec: EnvSpec, python: str | None, contents: Mapping[str, bytes | None]) -> str:
    """The environment's key: its commands, its Python and its inputs' bytes."""
    digest = hashlib.sha256()
    digest.update(json.dumps([spec.commands, python]).encode())
    for path in spec.inputs:
        data = contents.get(path)
        digest.update(f"\0{path}\0{'-' if data is None else len(data)}\0".encode())
        digest.update(data or b"")
    return digest.hexdigest()
