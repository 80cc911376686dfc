"""Write a [tool.tiered-ci] table, the short noxfile and the CI workflow for this repository.

Inspects the tracked files. Package folders (a pyproject.toml, setup.py, or a
setup.cfg with package metadata, below the root; hidden, `_`-prefixed and
nested ones left out): once
one folder holds two of them, every package becomes a domain, through a
`domain-families` entry per parent folder and one per top-level package, each
installed on its own with its test dependencies (a `test` dependency group, a
test requirements file, the newest of a versioned set, or a `test` extra; a
package unlike its siblings gets a `members` entry; packages with a
tests/integration folder own it through `integration-tests`). In a
single-project repository, test folders whose name matches a source folder
become domains (`tests/integration/<name>` their `integration-tests`).
A compose file that builds images becomes `services-from = "compose"`, else
Dockerfiles become services. Changelog fragments, docs-only requirements and
lint settings are ignored. dorny/paths-filter filter files and tox.ini are
reported with what to do about them.

It prints what it wrote and why. --dry-run prints and writes nothing. An
existing [tool.tiered-ci] table is kept unless --force (then it is replaced);
an existing noxfile or workflow is never overwritten without --force.
`tiered-ci check-config` is clean right after."""

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
# A versioned set: test-requirements-2.txt, test-requirements.latest.txt, requirements.latest.txt.
_VERSIONED_REQUIREMENTS = re.compile(
    r"(?:tests?[-_.]?requirements|requirements[-_.]tests?)[-_.](?:\d+|latest)\.txt"
    r"|requirements[-_.]latest\.txt"
)
_INTEGRATION = re.compile(
    r"integration|docker|e2e|end[-_]to[-_]end|functional|system", re.IGNORECASE
)
_PACKAGE_FILES = ("pyproject.toml", "setup.py", "setup.cfg")
# Read by linters, editors, code hosts and docs builders, never by a test.
_TOOLING_FILES = (
    ".pre-commit-config.yaml",
    ".pylintrc",
    ".flake8",
    ".codespellrc",
    ".rstcheck.cfg",
    ".yamllint",
    ".yamllint.yaml",
    ".editorconfig",
    ".git-blame-ignore-revs",
    ".gitattributes",
    ".mailmap",
    ".readthedocs.yml",
    ".readthedocs.yaml",
    "CODEOWNERS",
)
_DOCS_REQUIREMENTS = re.compile(r"(?:docs?|rtd)[-_]requirements\.txt|requirements[-_]docs?\.txt")
# Changelog fragment folders (towncrier and friends): text that goes into release notes.
_FRAGMENT_FOLDERS = (".changelog", "changelog.d", "changes", "newsfragments", "news")
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
    families: set[str] = field(default_factory=set)  # family names written so far


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
    quiet = _no_test_reads(files, read)
    if quiet:
        lines += [
            "# So are files no test reads: changelog fragments, docs-only requirements, lint",
            "# and editor settings (the quick session lints every change anyway).",
        ]
        proposal.why.append(f"ignore: {', '.join(quiet)}: no test reads them")
    lines += _array("ignore", ignore + quiet)
    run_all = ["pyproject.toml", "noxfile.py", WORKFLOW_PATH] + [f for f in _LOCKS if f in files]
    lines.append("run-all = [" + ", ".join(f'"{p}"' for p in run_all) + "]")
    proposal.why.append(f"run-all: {', '.join(run_all)}: they shape every session")
    compose = _compose_with_builds(files, read)
    if compose:
        lines += [
            "# Services are the compose file's, read as Compose reads it (.env included).",
            'services-from = "compose"',
        ]
        proposal.why.append(
            f"services-from: {compose} builds images; Dockerfiles it does not build are "
            "left out (add a [tool.tiered-ci.services.<name>] table for one)"
        )
    families = _families(_packages(files, read))
    if families:
        lines += _quick_lint_only(proposal)
        lines += _root_tests(files, proposal)
    for parent, members in families.items():
        lines += _family(parent, members, files, read, proposal)
    if not families:
        lines += _tiers_and_domains(files, proposal)
    if not compose:
        lines += _services(files, proposal)
    _notes(files, read, proposal)
    proposal.table = "\n".join(lines) + "\n"
    return proposal


def _no_test_reads(files: set[str], read: Reader) -> list[str]:
    """Top-level files and folders that only tooling reads, as ignore globs."""
    found = [name for name in _TOOLING_FILES if name in files]
    found += [f for f in sorted(files) if "/" not in f and _DOCS_REQUIREMENTS.fullmatch(f)]
    folders = [
        name
        for name in _FRAGMENT_FOLDERS
        if any(f.startswith(f"{name}/") for f in files)
        and not any(f.startswith(f"{name}/") and f.endswith(".py") for f in files)
    ]
    towncrier = _toml(read("pyproject.toml")).get("tool", {})
    if isinstance(towncrier, dict):
        directory = towncrier.get("towncrier", {})
        directory = directory.get("directory") if isinstance(directory, dict) else None
        if isinstance(directory, str) and directory.strip("/") and "*" not in directory:
            folders.insert(0, directory.strip("/"))
    return found + [f"{folder}/**" for folder in dict.fromkeys(folders)]


def _packages(files: set[str], read: Reader) -> list[str]:
    """Package folders below the root, outermost only, none hidden or private.

    A folder named `.x` or `_x` (`.github/...`, `_template`) holds tooling or a
    template, not a package to test; a package inside another one (a test
    fixture) belongs to it.
    """
    found = sorted(
        {
            posixpath.dirname(p)
            for p in files
            if posixpath.basename(p) in _PACKAGE_FILES
            and not any(part.startswith((".", "_")) for part in p.split("/")[:-1])
            and _is_package_file(p, read)
        }
        - {""}
    )
    outer: list[str] = []
    for folder in found:
        if not any(folder.startswith(f"{o}/") for o in outer):
            outer.append(folder)
    return outer


def _is_package_file(path: str, read: Reader) -> bool:
    """A setup.cfg makes a package only with package metadata (`[metadata]` or
    `[options]`): tools keep their settings there too (`[flake8]`, `[isort]`)."""
    if posixpath.basename(path) != "setup.cfg":
        return True
    text = read(path) or ""
    return re.search(r"^\[(metadata|options)\]", text, re.MULTILINE) is not None


def _families(packages: list[str]) -> dict[str, list[str]]:
    """Parent folder -> its packages; `""` keys the packages at the top level.

    A repository is a monorepo once one folder holds two packages. Then every
    package gets a domain: the other parents' single packages too (their next
    sibling joins by itself), and each top-level package on its own.
    """
    by_parent: dict[str, list[str]] = {}
    for folder in packages:
        by_parent.setdefault(posixpath.dirname(folder), []).append(folder)
    if not any(len(m) >= 2 and p for p, m in by_parent.items()):
        return {}
    return dict(sorted(by_parent.items(), key=lambda item: (item[0] == "", item[0])))


def _quick_lint_only(proposal: Proposal) -> list[str]:
    proposal.why.append("tiers.quick: lint only (package tests carry no critical/smoke markers)")
    return ["", "[tool.tiered-ci.tiers.quick]", "run-pytest = false"]


def _root_tests(files: set[str], proposal: Proposal) -> list[str]:
    """A top-level tests/ folder beside the packages: the tier its folder names suggest."""
    inside = {f.split("/")[1] for f in files if f.startswith("tests/") and f.count("/") >= 2}
    if not any(f.startswith("tests/") for f in files):
        return []
    if inside and all(_INTEGRATION.search(name) for name in inside):
        proposal.why.append(
            "tiers.integration: tests/ (its folders name integration or docker tests)"
        )
        return [
            "",
            "# The top-level tests are integration tests: no `markers`, so all of them run.",
            "[tool.tiered-ci.tiers.integration]",
            'paths = ["tests"]',
        ]
    proposal.why.append("tiers.unit: tests/ (tests of no single package)")
    return ["", "[tool.tiered-ci.tiers.unit]", 'paths = ["tests"]']


def _family(
    parent: str,
    members: list[str],
    files: set[str],
    read: Reader,
    proposal: Proposal,
) -> list[str]:
    if not parent:
        # Top-level packages: one family each, so their domains still get metadata edges.
        return [
            line for member in members for line in _family(member, [member], files, read, proposal)
        ]
    top_level = "/" not in parent and members == [parent]
    name = _unique(_NAME.sub("-", posixpath.basename(parent).lower()).strip("-"), proposal.families)
    pattern = parent if top_level else f"{parent}/*"
    with_tests = [m for m in members if any(f.startswith(f"{m}/tests/") for f in files)]
    lines = [
        "",
        f"# The package {parent}/, installed alone."
        if top_level
        else f"# One domain per package under {parent}/ ({len(members)} now), installed alone.",
        f"[tool.tiered-ci.domain-families.{name}]",
        f'folders = "{pattern}"',
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
            f"domain-families.{name}.integration-tests: "
            f"{_count(len(with_integration), 'package')} with tests/integration"
        )
    if not top_level:
        others = sorted(
            {f.split("/")[parent.count("/") + 1] for f in files if f.startswith(f"{parent}/")}
            - {posixpath.basename(m) for m in members}
        )
        folders_only = [o for o in others if any(f.startswith(f"{parent}/{o}/") for f in files)]
        if folders_only:
            lines.append("exclude = [" + ", ".join(f'"{parent}/{o}"' for o in folders_only) + "]")
    per_member = {m: _test_dependencies(m, files, read) for m in members}
    counts = Counter(tuple(v) for v in per_member.values())
    # The family's template is the most common way; on a tie, the plain file name.
    common = max(counts, key=lambda keys: (counts[keys], not _versioned(keys)))
    lines += ["", f"[tool.tiered-ci.domain-families.{name}.install]", "root = false"]
    lines += ['editable = ["{folder}"]', *common]
    for member, keys in per_member.items():
        if tuple(keys) != common:
            domain = posixpath.basename(member)
            lines += [
                "",
                f"[tool.tiered-ci.domain-families.{name}.members.{_key(domain)}.install]",
                "root = false",
                'editable = ["{folder}"]',
                *keys,
            ]
    exceptions = sum(tuple(v) != common for v in per_member.values())
    proposal.why.append(
        f"domain-families.{name}: "
        + (
            f"the package {parent}/"
            if top_level
            else f"{_count(len(members), 'package')} under {parent}/, "
            f"{len(with_tests)} with a tests/ folder"
        )
        + "; edges come from their metadata"
        + (f"; {exceptions} install their test requirements their own way" if exceptions else "")
    )
    return lines


def _array(key: str, items: list[str]) -> list[str]:
    """`key = [...]` on one line, or one item per line when that is long."""
    quoted = [f'"{item}"' for item in items]
    line = f"{key} = [{', '.join(quoted)}]"
    if len(line) <= 88:
        return [line]
    return [f"{key} = [", *(f"    {q}," for q in quoted), "]"]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _versioned(keys: tuple[str, ...]) -> bool:
    return any(_VERSIONED_REQUIREMENTS.search(k) for k in keys)


def _unique(name: str, taken: set[str]) -> str:
    name = name or "packages"
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}-{n}", n + 1
    taken.add(candidate)
    return candidate


def _key(name: str) -> str:
    """A TOML key for `name`: bare when it can be, quoted otherwise."""
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else '"' + name.replace('"', '\\"') + '"'


def _test_dependencies(member: str, files: set[str], read: Reader) -> list[str]:
    """How one package declares its test dependencies, as install keys (templated)."""
    document = _toml(read(f"{member}/pyproject.toml"))
    groups = document.get("dependency-groups", {})
    project = document.get("project", {})
    extras = project.get("optional-dependencies", {}) if isinstance(project, dict) else {}
    if isinstance(groups, dict) and "test" in groups:
        return ['groups = ["{folder}:test"]']
    requirements = _requirements_file(
        [posixpath.basename(f) for f in files if posixpath.dirname(f) == member]
    )
    if requirements:
        return [f'requirements = ["{{folder}}/{requirements}"]', 'packages = ["pytest"]']
    if (isinstance(extras, dict) and "test" in extras) or _setuptools_test_extra(member, read):
        return ['extras = ["test"]', 'packages = ["pytest"]']
    return ['packages = ["pytest"]']


def _setuptools_test_extra(member: str, read: Reader) -> bool:
    """A `test` extra declared in setup.cfg (`[options.extras_require]`) or a static
    setup.py (`extras_require={"test": [...]}`)."""
    cfg = read(f"{member}/setup.cfg") or ""
    if re.search(r"^\[options\.extras_require\][^\[]*^test\s*=", cfg, re.MULTILINE):
        return True
    setup_py = read(f"{member}/setup.py") or ""
    return re.search(r"""extras_require\s*=\s*\{[^}]*["']test["']\s*:""", setup_py) is not None


def _requirements_file(names: list[str]) -> str | None:
    """The test requirements file among a package's files, if it has one. Pure.

    `test-requirements.txt` (or a spelling of it) first; else the newest of a
    versioned set (`test-requirements.latest.txt`, the highest
    `test-requirements-<N>.txt`), which tests against today's dependencies.
    """
    exact = sorted(n for n in names if _TEST_REQUIREMENTS.fullmatch(n))
    if exact:
        return exact[0]
    candidates = [n for n in names if _VERSIONED_REQUIREMENTS.fullmatch(n)]
    if not candidates:
        return None

    def rank(name: str) -> tuple[int, int, int]:
        number = re.search(r"(\d+)\.txt$", name)
        return ("latest" in name, int(number.group(1)) if number else -1, -len(name))

    return max(candidates, key=rank)


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


def _compose_with_builds(files: set[str], read: Reader) -> str | None:
    """The top-level compose file when one builds an image (a `build:` key), else None."""
    for name in _COMPOSE:
        text = read(name) if name in files else None
        if isinstance(text, str) and re.search(r"^\s+build\s*:", text, re.MULTILINE):
            return name
    return None


def _notes(files: set[str], read: Reader, proposal: Proposal) -> None:
    for f in sorted(files):
        if f.startswith(".github/") and re.search(r"filters?\.ya?ml$", f):
            proposal.notes.append(
                f"{f}: a dorny/paths-filter file; `tiered-ci import-filters` turns it into domains"
            )
    tox = read("tox.ini") if "tox.ini" in files else None
    if isinstance(tox, str):
        proposal.notes.append(_tox_note(tox))


def _tox_note(text: str) -> str:
    """What tox.ini's envlist says about Python versions, as advice. Pure."""
    import configparser  # noqa: PLC0415 - only repositories with tox.ini need it

    parser = configparser.ConfigParser(
        interpolation=None, comment_prefixes=("#", ";"), inline_comment_prefixes=(" #", " ;")
    )
    try:
        parser.read_string(text)
        envlist = parser.get("tox", "envlist", fallback="")
    except configparser.Error:
        envlist = ""
    entries = [e for e in re.split(r"[\s,]+(?![^{]*})", envlist) if e]
    versions: set[int] = set()
    for entry in entries:
        for braced in re.findall(r"py3\{([\d,\s]+)\}", entry):
            versions |= {int(v) for v in re.findall(r"\d+", braced)}
        versions |= {int(v) for v in re.findall(r"py3(\d+)", entry)}
    listed = ", ".join(f'"3.{v}"' for v in sorted(versions))
    advice = (
        f"its environments cover Python {listed.replace(chr(34), '')}: for one session per "
        f"Python add python = [{listed}] to a family or tier"
        if versions
        else "no Python versions found in its envlist"
    )
    return (
        f"tox.ini: {len(entries)} envlist entries; {advice}. tox.ini is unmapped, so a "
        "change to it runs everything: add it to `ignore` once CI runs through nox "
        "(unless it holds pytest or coverage settings)"
    )
