"""The root project's environments: what `quick` and the root's test tiers install. Pure.

With no install table a tier session installs the root project and the root's
`test` group, and `quick` adds the `lint` group. A repository that keeps its
test tools elsewhere (a `dev` group, a requirements file, an extra, tox) or
has no `lint` group would fail at install on its first CI run, so init writes
the tables that name what the repository has, and says where each came from.
"""

from __future__ import annotations

import posixpath
import re

from tiered_ci import families, plugin_options
from tiered_ci.adopt.proposal import NAME, Proposal, Reader, read_toml, unique
from tiered_ci.adopt.tooling import Tooling, async_gap, lint_tooling, test_tooling, tox_installs
from tiered_ci.collection import read_settings

__all__ = ["merge_keys", "on_root_project", "release_pins", "root_domain", "root_environments"]

_LIST_KEY = re.compile(r"(\w[\w-]*) = \[(.*)\]")


def root_environments(
    files: set[str], read: Reader, proposal: Proposal, *, tiers: list[str], quick_tests: bool
) -> list[str]:
    """Install tables for `tiers` (the root's test tiers init wrote) and `quick`."""
    tooling = _root_tooling(files, read)
    plugins = _addopts_plugins(files, read) if not tooling.source else []
    if plugins:
        # Bare pytest would stop on the repository's own addopts (`-n auto`, `--cov`).
        listed = ", ".join(f'"{d}"' for _, d in plugins)
        tooling = Tooling((f'packages = ["pytest", {listed}]',), "", tooling.text)
    groups = read_toml(read("pyproject.toml")).get("dependency-groups")
    groups = groups if isinstance(groups, dict) else {}
    root = f"root = {'true' if _has_project(files, read) else 'false'}"
    lines: list[str] = []
    needs_tests = tiers or quick_tests
    default = "test" in groups
    if needs_tests:
        where = ", ".join([*tiers, *(["quick"] if quick_tests else [])])
        found = f"from {tooling.source}" if tooling.source else "none found: bare pytest"
        if plugins:
            found += (
                " with what pytest's addopts need ("
                + ", ".join(f"{d} for {o}" for o, d in plugins)
                + ")"
            )
        proposal.notes.append(f"test tooling of the root ({where}): {found}")
        if async_gap(tooling, [f for f in files if f.startswith("tests/")], read):
            proposal.notes.append(
                "the root's tests hold async tests, and no pytest-asyncio or anyio is in its "
                "test tooling: add one, else pytest fails them"
            )
    if not default:
        for tier in tiers:
            lines += ["", f"[tool.tiered-ci.tiers.{tier}.install]", root, *tooling.keys]
    lint, whence = lint_tooling(files, read)
    proposal.notes.append(f"lint tooling (quick): {whence}")
    if "lint" not in groups or (quick_tests and not default):
        keys = merge_keys(list(tooling.keys), list(lint)) if quick_tests else list(lint)
        quick_root = root if quick_tests else "root = false"
        lines += ["", "[tool.tiered-ci.tiers.quick.install]", quick_root, *keys]
    return lines


def _addopts_plugins(files: set[str], read: Reader) -> list[tuple[str, str]]:
    settings = read_settings(".", frozenset(files), read)
    return plugin_options.needed(settings.addopts) if settings is not None else []


def _has_project(files: set[str], read: Reader) -> bool:
    if "setup.py" in files or "setup.cfg" in files:
        return True
    # Poetry before 2 kept the metadata in [tool.poetry], its build backend reads it there.
    document = read_toml(read("pyproject.toml"))
    tool = document.get("tool")
    return "project" in document or (isinstance(tool, dict) and "poetry" in tool)


def merge_keys(*key_lists: list[str]) -> list[str]:
    """Install key lines merged: two `packages = [...]` lines become one. Pure."""
    merged: dict[str, list[str]] = {}
    for keys in key_lists:
        for line in keys:
            match = _LIST_KEY.fullmatch(line)
            if match is None:
                continue
            items = [i.strip() for i in match.group(2).split(",") if i.strip()]
            bucket = merged.setdefault(match.group(1), [])
            bucket += [i for i in items if i not in bucket]
    return [f"{key} = [{', '.join(items)}]" for key, items in merged.items()]


def root_domain(
    files: set[str], read: Reader, proposal: Proposal, *, tests: str | None
) -> list[str]:
    """The root project as a domain when in-repo packages depend on it.

    Its source folder (`src/<name>` or `<name>`, a package with `__init__.py`)
    becomes a one-folder family, installed with the root project and the root's
    test tooling, owning `tests` (the root's unit tests) when given. A family
    member's metadata edge finds it by the folder's name when that is the
    project's name (PEP 503); init writes the edges of today's dependents
    anyway, so a differently named folder keeps them too.
    """
    project = _project_name(read)
    if project is None or not proposal.members:
        return []
    wanted = families.normalize(project)
    dependents = [m for m in proposal.members if wanted in _dependencies(m, read)]
    if not dependents:
        return []
    module = project.replace("-", "_").replace(".", "_").lower()
    source = next((f for f in (f"src/{module}", module) if f"{f}/__init__.py" in files), None)
    if source is None:
        proposal.notes.append(
            f"{len(dependents)} packages depend on the root project {project}, but no "
            f"src/{module}/ or {module}/ package was found: add its source as a domain by hand"
        )
        return []
    family = unique(NAME.sub("-", posixpath.basename(source).lower()).strip("-"), proposal.families)
    domain = posixpath.basename(source)
    tooling = _root_tooling(files, read)
    lines = [
        "",
        f"# The root project {project} (its code in {source}/): a domain, since",
        "# in-repo packages depend on it; a change to it runs them too.",
        f"[tool.tiered-ci.domain-families.{family}]",
        f'folders = "{source}"',
        'paths = ["{folder}/**"]',
    ]
    lines.append(f'tests = ["{tests}"]' if tests else "tests = []")
    lines += [
        "",
        f"[tool.tiered-ci.domain-families.{family}.install]",
        "root = true",
        *tooling.keys,
    ]
    plugins = [p for p in tox_installs(read("tox.ini"), files) if p in proposal.members]
    if plugins:
        # tox installs these for the root's tests (which exercise them): a change
        # to one runs the root's tests too.
        lines += ["", f"[tool.tiered-ci.domain-families.{family}.depends-on]"]
        lines.append(
            f"{_key(domain)} = [{', '.join(repr(posixpath.basename(p)) for p in plugins)}]".replace(
                "'", '"'
            )
        )
    by_family: dict[str, list[str]] = {}
    for member in dependents:
        by_family.setdefault(proposal.members[member], []).append(member)
    for name, members in by_family.items():
        lines += ["", f"[tool.tiered-ci.domain-families.{name}.depends-on]"]
        lines += [f'{_key(posixpath.basename(m))} = ["{domain}"]' for m in members]
    proposal.why.append(
        f"domain-families.{family}: the root project {project} ({source}/), which "
        f"{len(dependents)} in-repo packages depend on" + (f"; its tests: {tests}" if tests else "")
    )
    return lines


def on_root_project(folders: list[str], read: Reader, proposal: Proposal) -> frozenset[str]:
    """The package folders whose metadata depends on the root project and that name
    no in-repo source for it (`[tool.uv.sources]`): installed alone, they would
    test the released root project from the index instead of this checkout's. One
    that pins another release of it (`core==4.2.2`) is left out, with a note."""
    project = _project_name(read)
    if project is None:
        return frozenset()
    pinned = release_pins(folders, read)
    for folder, pin in pinned.items():
        proposal.notes.append(
            f"{folder} pins {pin}, not this checkout's version: its shard installs it "
            "alone and tests that release"
        )
    wanted = families.normalize(project)
    out = set()
    for folder in folders:
        tool = read_toml(read(f"{folder}/pyproject.toml")).get("tool")
        uv = tool.get("uv") if isinstance(tool, dict) else None
        sources = uv.get("sources") if isinstance(uv, dict) else None
        sources = sources if isinstance(sources, dict) else {}
        named = {families.normalize(str(n)) for n in sources or ()}
        if wanted in _dependencies(folder, read) and wanted not in named:
            out.add(folder)
    return frozenset(out - set(pinned))


def release_pins(folders: list[str], read: Reader) -> dict[str, str]:
    """Package folder -> the release of the root project it pins (`core==4.2.2`) when
    that is not the checkout's version: such a package is tested against that release,
    and installing this checkout's root beside it cannot resolve."""
    root = read_toml(read("pyproject.toml")).get("project")
    name = root.get("name") if isinstance(root, dict) else None
    version = root.get("version") if isinstance(root, dict) else None
    if not isinstance(name, str) or not isinstance(version, str):
        return {}
    wanted = families.normalize(name)
    out = {}
    for folder in folders:
        project = read_toml(read(f"{folder}/pyproject.toml")).get("project")
        requirements = project.get("dependencies") if isinstance(project, dict) else None
        for requirement in requirements if isinstance(requirements, list) else ():
            pin = re.fullmatch(r"\s*([A-Za-z0-9][\w.-]*)\s*==\s*([\w.]+)\s*", str(requirement))
            if pin and families.normalize(pin[1]) == wanted and pin[2] != version:
                out[folder] = f"{pin[1]}=={pin[2]}"
    return out


def _root_tooling(files: set[str], read: Reader) -> Tooling:
    """The root's test tooling, plus the in-repo packages tox installs for its tests."""
    tooling = test_tooling("", files, read)
    local = tox_installs(read("tox.ini"), files)
    if not local:
        return tooling
    listed = ", ".join(f'"{p}"' for p in local)
    return Tooling(
        (*tooling.keys, f"editable = [{listed}]"),
        f"{tooling.source or 'bare pytest'}, with {', '.join(local)} (tox.ini installs "
        "them for its tests)",
        tooling.text,
    )


def _key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else f'"{name}"'


def _project_name(read: Reader) -> str | None:
    project = read_toml(read("pyproject.toml")).get("project")
    name = project.get("name") if isinstance(project, dict) else None
    if isinstance(name, str) and name.strip():
        return name
    for reader, path in (
        (families.setup_cfg_metadata, "setup.cfg"),
        (families.setup_py_metadata, "setup.py"),
    ):
        text = read(path)
        if text:
            found = reader(text)[0]
            if found:
                return found
    return None


def _dependencies(folder: str, read: Reader) -> set[str]:
    """The normalized names a package's metadata depends on."""
    names = set(families.dependency_names(read_toml(read(f"{folder}/pyproject.toml"))))
    for reader, path in (
        (families.setup_cfg_metadata, "setup.cfg"),
        (families.setup_py_metadata, "setup.py"),
    ):
        text = read(f"{folder}/{path}")
        if text:
            names.update(reader(text)[1])
    return names
