"""The table for a repository: each detector's lines, in the order a reader wants them. Pure."""

from __future__ import annotations

from tiered_ci.adopt import packages
from tiered_ci.adopt.ecosystems import toolchains
from tiered_ci.adopt.flags import ci_pytest_flags
from tiered_ci.adopt.notes import notes
from tiered_ci.adopt.proposal import Proposal, Reader, array
from tiered_ci.adopt.python import caller_python
from tiered_ci.adopt.quiet import no_test_reads
from tiered_ci.adopt.root import on_root_project, root_domain, root_environments
from tiered_ci.adopt.services import Services, compose_contexts, compose_with_builds, services
from tiered_ci.adopt.single import tiers_and_domains
from tiered_ci.adopt.started import started_services
from tiered_ci.adopt.templates import WORKFLOW_PATH

__all__ = ["propose"]

_LOCKS = ("uv.lock", "poetry.lock", "pdm.lock", "Pipfile.lock", "requirements.txt")


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
    quiet = no_test_reads(files, read)
    if quiet:
        lines += [
            "# So are files no test reads: changelog fragments, docs-only requirements, lint",
            "# and editor settings (the quick session lints every change anyway).",
        ]
        proposal.why.append(f"ignore: {', '.join(quiet)}: no test reads them")
    compose = compose_with_builds(files, read)
    images = services(files, read, proposal) if not compose else Services()
    contexts = compose_contexts(compose, read) if compose else images.contexts
    other = _toolchains(files, read, contexts, proposal)
    if other:
        lines += [
            "# And other toolchains' folders: no Python file lies in them, no Python test",
            "# names them, and no image's build context holds them.",
        ]
    lines += array("ignore", ignore + quiet + other)
    run_all = ["pyproject.toml", "noxfile.py", WORKFLOW_PATH] + [f for f in _LOCKS if f in files]
    lines.append("run-all = [" + ", ".join(f'"{p}"' for p in run_all) + "]")
    proposal.why.append(f"run-all: {', '.join(run_all)}: they shape every session")
    if compose:
        lines += [
            "# Services are the compose file's, read as Compose reads it (.env included).",
            'services-from = "compose"',
        ]
        proposal.why.append(
            f"services-from: {compose} builds images; Dockerfiles it does not build are "
            "left out (add a [tool.tiered-ci.services.<name>] table for one)"
        )
    found = packages.packages(files, read)
    by_parent = packages.families(found)
    unit_tests = None
    if by_parent:
        lines += packages.quick_lint_only(proposal)
        tier, unit_tests = packages.root_tests(files, read, proposal)
        lines += tier
    on_root = on_root_project(found, read, proposal)
    for parent, members in by_parent.items():
        lines += packages.family(parent, members, files, read, proposal, on_root=on_root)
    if by_parent:
        lines += root_domain(files, read, proposal, tests=unit_tests)
    if not by_parent:
        alone = packages.standalone(found, files)
        if alone and not any(f.startswith("tests/") for f in files):
            lines += packages.quick_lint_only(proposal)
        lines += tiers_and_domains(files, read, proposal, owned=tuple(alone))
        for package in alone:
            tests = packages.tests_template(package, files) or "{folder}/tests"
            lines += packages.family(
                package, [package], files, read, proposal, tests=tests, on_root=on_root
            )
    tiers = [t for t in ("unit", "integration") if f"[tool.tiered-ci.tiers.{t}]" in lines]
    lines = _ci_flags(lines, tiers, files, read, proposal)
    quick_tests = "run-pytest = false" not in lines
    lines += root_environments(files, read, proposal, tiers=tiers, quick_tests=quick_tests)
    lines += images.lines
    caller_python(["", *found], read, proposal)
    notes(files, read, proposal)
    started_services(files, read, proposal)
    proposal.table = "\n".join(lines) + "\n"
    return proposal


def _ci_flags(
    lines: list[str], tiers: list[str], files: set[str], read: Reader, proposal: Proposal
) -> list[str]:
    """`pytest-args` for the tiers that carry the suite: the flags the repository's CI
    gives pytest that its conftest defines (`--integration`), else those tests never run."""
    found = ci_pytest_flags(files, read)
    if not found or not tiers:
        return lines
    listed = "pytest-args = [" + ", ".join(f'"{flag}"' for flag, _ in found) + "]"
    out: list[str] = []
    for line in lines:
        out.append(line)
        if line in {f"[tool.tiered-ci.tiers.{t}]" for t in tiers}:
            out.append(listed)
    said = ", ".join(f"{flag} ({where})" for flag, where in found)
    proposal.why.append(
        f"tiers.{'/'.join(tiers)}.pytest-args: the CI passes pytest {said}, an option of "
        "the repository's conftest: without it those tests do not run"
    )
    return out


def _toolchains(files: set[str], read: Reader, contexts: set[str], proposal: Proposal) -> list[str]:
    """Ignore globs for other toolchains' folders, with a why or a note for each one."""
    found = toolchains(files, read, contexts)
    for folder, toolchain in found.ignore.items():
        proposal.why.append(f"ignore: {folder}/ ({toolchain}): no Python test reads it")
    for folder, why in found.kept.items():
        proposal.notes.append(
            f"{folder}/: another toolchain's folder, left mapped ({why}); a change to it "
            "runs what its image or test needs, else everything"
        )
    return [f"{folder}/**" for folder in found.ignore]
