"""Write a [tool.tiered-ci] table, the short noxfile and the CI workflow for this repository.

Inspects the tracked files: package folders (a pyproject.toml, setup.py or
setup.cfg with package metadata below the root) become a `domain-families`
entry per parent folder holding two or more of them (with `integration-tests`
when packages have a tests/integration folder), each package installed on its
own with its test dependencies (a `test` dependency group, a test requirements
file or a `test` extra); in a single-project repository, test folders whose
name matches a source folder become domains (`tests/integration/<name>` their
`integration-tests`). Dockerfiles become services. Compose files, dorny/paths-filter
filter files and tox environments are reported with what to do about them.

It prints what it wrote and why. --dry-run prints and writes nothing. An
existing [tool.tiered-ci] table is kept unless --force (then it is replaced);
an existing noxfile or workflow is never overwritten without --force.
`tiered-ci check-config` is clean right after.
"""

from __future__ import annotations

import argparse
import posixpath
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tiered_ci._toml import tomllib
from tiered_ci.commands._common import add_repo_arguments
from tiered_ci.errors import InputError

__all__ = ["HELP", "Proposal", "add_arguments", "propose", "run"]

HELP = __doc__ or ""

NOXFILE = """\
# /// script
# dependencies = ["nox>=2025.2.9", "tiered-ci>=0.2"]
# ///
\"\"\"The tiered-ci sessions: `nox -l` lists them.\"\"\"

from __future__ import annotations

import tiered_ci.nox

tiered_ci.nox.register()
"""

WORKFLOW = """\
# Calls tiered-ci's reusable workflow (see tiered-ci's docs/workflows.md): replace
# `your-org` with the owner of the tiered-ci repository you use and the zeros with the
# full commit SHA of the release you adopt.
name: ci

on:
  pull_request:
    types: [opened, synchronize, reopened]
  push:
    branches: [{branch}]
  merge_group:

permissions:
  contents: read

concurrency:
  group: ${{{{ github.workflow }}}}-${{{{ github.event.pull_request.number || github.ref }}}}
  cancel-in-progress: ${{{{ github.event_name == 'pull_request' }}}}

jobs:
  tiered-ci:
    name: tiered-ci
    uses: your-org/tiered-ci/.github/workflows/tiered-ci.yml@{sha}
"""

WORKFLOW_PATH = ".github/workflows/ci.yml"
_LOCKS = ("uv.lock", "poetry.lock", "pdm.lock", "Pipfile.lock", "requirements.txt")
_COMPOSE = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
_TEST_REQUIREMENTS = re.compile(r"(?:requirements[-_]?tests?|tests?[-_]requirements)\.txt")
_NAME = re.compile(r"[^a-z0-9_-]+")
Reader = Callable[[str], "str | None"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="print, write nothing")
    parser.add_argument(
        "--force", action="store_true", help="replace an existing table, noxfile or workflow"
    )
    add_repo_arguments(parser)


@dataclass
class Proposal:
    """What init would write: the table's TOML text, and why, line by line."""

    table: str
    why: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def run(args: argparse.Namespace) -> int:
    from tiered_ci import changes  # noqa: PLC0415

    root = changes.find_root(args.repo)
    target = args.config or root / "pyproject.toml"
    existing = target.read_text(encoding="utf-8") if target.is_file() else ""
    has_table = _has_table(existing, target)
    if has_table and not args.force:
        raise InputError(
            f"{target}: already has a [tool.tiered-ci] table; pass --force to replace it"
        )
    branch = _branch(root)
    proposal = propose(changes.tracked_files(root), _reader(root), default_branch=branch)
    files = {target: _without_table(existing) + ("\n" if existing else "") + proposal.table}
    for rel, text, what in (
        ("noxfile.py", NOXFILE, "the sessions (a PEP 723 block and tiered_ci.nox.register())"),
        (
            WORKFLOW_PATH,
            WORKFLOW.format(branch=branch, sha="0" * 40),
            "CI: calls the reusable workflow",
        ),
    ):
        path = root / rel
        if path.exists() and not args.force:
            proposal.notes.append(f"{rel} exists: kept (--force replaces it with {what})")
        else:
            files[path] = text
            proposal.why.append(f"{rel}: {what}")
    for line in proposal.why:
        print(f"why: {line}")
    for note in proposal.notes:
        print(f"note: {note}")
    verb = "would write" if args.dry_run else "wrote"
    for path, text in files.items():
        print(f"{verb} {path}" + (f":\n{proposal.table}" if path == target else ""))
        if not args.dry_run:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if not args.dry_run:
        print("next: tiered-ci check-config, then nox -l")
    return 0


def _has_table(text: str, path: Path) -> bool:
    if not text:
        return False
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML ({exc}); fix it before tiered-ci init") from None
    tool = document.get("tool")
    return isinstance(tool, dict) and "tiered-ci" in tool


def _without_table(text: str) -> str:
    """`text` without its [tool.tiered-ci] and [tool.tiered-ci.*] tables (for --force)."""
    out, skipping = [], False
    for line in text.splitlines(keepends=True):
        header = re.match(r"\s*\[\[?\s*([^\]]+?)\s*\]", line)
        if header:
            name = header.group(1).replace('"', "")
            skipping = name == "tool.tiered-ci" or name.startswith("tool.tiered-ci.")
        if not skipping:
            out.append(line)
    return "".join(out).rstrip("\n") + ("\n" if out else "")


def _branch(root: Path) -> str:
    from tiered_ci.changes import open_repo  # noqa: PLC0415

    try:
        return str(open_repo(root).active_branch.name)
    except (TypeError, ValueError):
        return "main"  # a detached HEAD


def _reader(root: Path) -> Reader:
    def read(rel: str) -> str | None:
        try:
            return (root / rel).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    return read


def propose(tracked: list[str], read: Reader, *, default_branch: str = "main") -> Proposal:
    """The table for a repository with these tracked files. `read(path)` gives a file's text."""
    files = set(tracked)
    proposal = Proposal(table="")
    lines = [
        "# --- tiered-ci: which sessions, domains and services a change selects ---",
        "# Written by `tiered-ci init`; see tiered-ci's docs/configuration.md.",
        "[tool.tiered-ci]",
        f'default-branch = "{default_branch}"',
        "# GitHub files other than this repository's CI workflow trigger nothing: another",
        "# workflow (release, labels, stale) cannot break the tests, and making it run",
        "# everything would cost each such change a full run. Move one to run-all if it can.",
    ]
    ignore = [
        glob
        for glob, present in (
            ("**/*.md", any(f.endswith(".md") for f in files)),
            ("docs/**", any(f.startswith("docs/") for f in files)),
            (".github/**", True),  # init writes the workflow below
            (f"!{WORKFLOW_PATH}", True),
            (".gitignore", ".gitignore" in files),
        )
        if present
    ]
    lines.append("ignore = [" + ", ".join(f'"{g}"' for g in ignore) + "]")
    run_all = ["pyproject.toml", "noxfile.py", WORKFLOW_PATH] + [f for f in _LOCKS if f in files]
    lines.append("run-all = [" + ", ".join(f'"{p}"' for p in run_all) + "]")
    proposal.why.append(f"run-all: {', '.join(run_all)}: they shape every session")
    packages = sorted({posixpath.dirname(p) for p in files if _is_package_file(p, read)} - {""})
    families = _families(packages)
    if families:
        lines += _quick_lint_only(proposal)
    for parent, members in families.items():
        lines += _family(parent, members, files, read, proposal)
    if not families:
        lines += _tiers_and_domains(files, proposal)
    lines += _services(files, proposal)
    _notes(files, read, proposal)
    proposal.table = "\n".join(lines) + "\n"
    return proposal


def _is_package_file(path: str, read: Reader) -> bool:
    """pyproject.toml and setup.py make a package folder; a setup.cfg only with package
    metadata (`[metadata]` or `[options]`), since tools keep their settings there too."""
    name = posixpath.basename(path)
    if name in ("pyproject.toml", "setup.py"):
        return True
    if name != "setup.cfg":
        return False
    text = read(path) or ""
    return re.search(r"^\[(metadata|options)\]", text, re.MULTILINE) is not None


def _families(packages: list[str]) -> dict[str, list[str]]:
    by_parent: dict[str, list[str]] = {}
    for folder in packages:
        by_parent.setdefault(posixpath.dirname(folder), []).append(folder)
    return {p: m for p, m in by_parent.items() if len(m) >= 2 and p}


def _quick_lint_only(proposal: Proposal) -> list[str]:
    proposal.why.append("tiers.quick: lint only (package tests carry no critical/smoke markers)")
    return ["", "[tool.tiered-ci.tiers.quick]", "run-pytest = false"]


def _family(
    parent: str, members: list[str], files: set[str], read: Reader, proposal: Proposal
) -> list[str]:
    name = _NAME.sub("-", posixpath.basename(parent).lower()).strip("-") or "packages"
    with_tests = [m for m in members if any(f.startswith(f"{m}/tests/") for f in files)]
    others = sorted(
        {f.split("/")[parent.count("/") + 1] for f in files if f.startswith(f"{parent}/")}
        - {posixpath.basename(m) for m in members}
    )
    lines = [
        "",
        f"# One domain per package under {parent}/ ({len(members)} found), installed alone.",
        f"[tool.tiered-ci.domain-families.{name}]",
        f'folders = "{parent}/*"',
        'paths = ["{folder}/**"]',
        'tests = ["{folder}/tests"]',
    ]
    with_integration = [
        m for m in members if any(f.startswith(f"{m}/tests/integration/") for f in files)
    ]
    if with_integration:
        # Each package's own integration tests run in its domain-integration session,
        # not in its shard, and never make the tier-wide session run.
        lines.append('integration-tests = ["{folder}/tests/integration"]')
        proposal.why.append(
            f"domain-families.{name}.integration-tests: {len(with_integration)} packages "
            "have tests/integration"
        )
    folders_only = [o for o in others if any(f.startswith(f"{parent}/{o}/") for f in files)]
    if folders_only:
        lines.append("exclude = [" + ", ".join(f'"{parent}/{o}"' for o in folders_only) + "]")
    lines += ["", f"[tool.tiered-ci.domain-families.{name}.install]", "root = false"]
    lines.append('editable = ["{folder}"]')
    lines += _test_dependencies(members, files, read)
    proposal.why.append(
        f"domain-families.{name}: {len(members)} packages under {parent}/, "
        f"{len(with_tests)} with a tests/ folder; edges come from their metadata"
    )
    return lines


def _test_dependencies(members: list[str], files: set[str], read: Reader) -> list[str]:
    """How most packages declare their test dependencies, as install keys."""
    kinds: Counter[str] = Counter()
    requirement_names: Counter[str] = Counter()
    for member in members:
        text = read(f"{member}/pyproject.toml")
        document = _toml(text)
        groups = document.get("dependency-groups", {})
        project = document.get("project", {})
        extras = project.get("optional-dependencies", {}) if isinstance(project, dict) else {}
        if isinstance(groups, dict) and "test" in groups:
            kinds["group"] += 1
        elif (isinstance(extras, dict) and "test" in extras) or _setuptools_test_extra(
            member, read
        ):
            kinds["extra"] += 1
        for f in files:
            if posixpath.dirname(f) == member and _TEST_REQUIREMENTS.fullmatch(
                posixpath.basename(f)
            ):
                kinds["requirements"] += 1
                requirement_names[posixpath.basename(f)] += 1
    best = kinds.most_common(1)[0][0] if kinds else None
    if best == "group":
        return ['groups = ["{folder}:test"]']
    if best == "extra":
        return ['extras = ["test"]', 'packages = ["pytest"]']
    if best == "requirements":
        file_name = requirement_names.most_common(1)[0][0]
        return [f'requirements = ["{{folder}}/{file_name}"]', 'packages = ["pytest"]']
    return ['packages = ["pytest"]']


def _setuptools_test_extra(member: str, read: Reader) -> bool:
    """A `test` extra declared in setup.cfg (`[options.extras_require]`) or a static
    setup.py (`extras_require={"test": [...]}`)."""
    cfg = read(f"{member}/setup.cfg") or ""
    if re.search(r"^\[options\.extras_require\][^\[]*^test\s*=", cfg, re.MULTILINE):
        return True
    setup_py = read(f"{member}/setup.py") or ""
    return re.search(r"""extras_require\s*=\s*\{[^}]*["']test["']\s*:""", setup_py) is not None


def _toml(text: str | None) -> dict[str, object]:
    if not isinstance(text, str):
        return {}
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {}


def _tiers_and_domains(files: set[str], proposal: Proposal) -> list[str]:
    folders = {posixpath.dirname(f) for f in files}
    folders |= {p for f in folders for p in _parents(f)}
    unit = "tests/unit" if "tests/unit" in folders else "tests" if "tests" in folders else None
    lines: list[str] = []
    if unit:
        lines += ["", "[tool.tiered-ci.tiers.unit]", f'paths = ["{unit}"]']
        proposal.why.append(f"tiers.unit: {unit}")
    if "tests/integration" in folders:
        lines += [
            "",
            "[tool.tiered-ci.tiers.integration]",
            'paths = ["tests/integration"]',
            'markers = "integration"',
        ]
        proposal.why.append("tiers.integration: tests/integration")
    if unit is None:
        return lines
    sources = {posixpath.basename(f): f for f in sorted(folders) if f.startswith("src/")}
    for test_folder in sorted(f for f in folders if posixpath.dirname(f) == unit):
        name = posixpath.basename(test_folder)
        if name in sources and not name.startswith((".", "_")):
            lines += [
                "",
                f"[tool.tiered-ci.domains.{_NAME.sub('-', name.lower())}]",
                f'paths = ["{sources[name]}/**"]',
                f'tests = ["{test_folder}"]',
            ]
            proposal.why.append(f"domains.{name}: {test_folder} tests {sources[name]}")
            integration = f"tests/integration/{name}"
            if integration in folders and integration != test_folder:
                lines.append(f'integration-tests = ["{integration}"]')
                proposal.why.append(f"domains.{name}.integration-tests: {integration}")
    return lines


def _parents(folder: str) -> list[str]:
    parts = folder.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def _services(files: set[str], proposal: Proposal) -> list[str]:
    lines: list[str] = []
    seen: set[str] = set()
    for dockerfile in sorted(f for f in files if posixpath.basename(f) == "Dockerfile"):
        context = posixpath.dirname(dockerfile)
        name = _NAME.sub("-", posixpath.basename(context).lower()).strip("-")
        if not context or not name or name in seen:
            continue
        seen.add(name)
        lines += ["", f"[tool.tiered-ci.services.{name}]", f'context = "{context}"']
        proposal.why.append(f"services.{name}: {dockerfile}")
    return lines


def _notes(files: set[str], read: Reader, proposal: Proposal) -> None:
    for compose in (f for f in _COMPOSE if f in files):
        proposal.notes.append(
            f'{compose}: add services-from = "compose" to build its services\' images too'
        )
    for f in sorted(files):
        if f.startswith(".github/") and re.search(r"filters?\.ya?ml$", f):
            proposal.notes.append(
                f"{f}: a dorny/paths-filter file; `tiered-ci import-filters` turns it into domains"
            )
    tox = read("tox.ini") if "tox.ini" in files else None
    if isinstance(tox, str) and (found := re.search(r"envlist\s*=\s*(.+)", tox)):
        pythons = sorted(set(re.findall(r"py3(\d+)", found.group(1))), key=int)
        versions = ", ".join(f'"3.{v}"' for v in pythons)
        proposal.notes.append(
            f"tox.ini envlist {found.group(1).strip()}: for one session per Python add "
            f"python = [{versions}] to the family or the unit tier"
        )
