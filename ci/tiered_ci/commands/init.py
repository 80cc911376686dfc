"""Write a [tool.tiered-ci] table, the short noxfile and the CI workflow for this repository.

Inspects the tracked files. Package folders (a pyproject.toml with package
metadata or a build system, a setup.py, or a setup.cfg with package metadata,
below the root; hidden, `_`-prefixed and nested ones left out): once one
folder holds two of them, every package becomes a domain, through a
`domain-families` entry per parent folder and one per top-level package, each
installed on its own with its test dependencies (a `test` dependency group, a
test requirements file, the newest of a versioned set, or a `test` extra; a
package unlike its siblings gets a `members` entry; packages with a
tests/integration folder own it through `integration-tests`). Otherwise each
package folder that holds tests (a `backend/` beside a front-end, a uv
workspace member) becomes a domain of its own, so no test is left unrun. In a
single project, test folders named for a Python package folder
(`tests/unit/billing`, `tests/test_s3` for `moto/s3`) become domains
(`tests/integration/<name>` their `integration-tests`), and a domain whose
code imports another's gets it in `depends-on`. `default-branch` (and the
workflow's push branch) is the remote's HEAD, else `main` or `master` as they
exist. A compose file that builds images becomes `services-from = "compose"`,
else Dockerfiles become services (a root one too, none under test or fixture
folders; a Makefile's or workflow's `docker build` names the context). Folders
of another toolchain (`package.json`, `go.mod`, `Cargo.toml`, ...) that hold
no Python, that no Python test names and that no image builds are ignored.
Changelog fragments, docs-only requirements and lint settings are ignored.
dorny/paths-filter filter files and tox.ini are reported with what to do about
them.

It prints what it wrote and why. --dry-run prints and writes nothing. An
existing [tool.tiered-ci] table is kept unless --force (then it is replaced);
an existing noxfile or workflow is never overwritten without --force.
`tiered-ci check-config` is clean right after."""

from __future__ import annotations

import argparse

from tiered_ci.adopt import repository
from tiered_ci.adopt.propose import propose
from tiered_ci.adopt.requirement import installed_requirement, noxfile_text
from tiered_ci.adopt.templates import WORKFLOW, WORKFLOW_PATH
from tiered_ci.commands._common import add_repo_arguments
from tiered_ci.errors import InputError

__all__ = ["HELP", "add_arguments", "run"]

HELP = __doc__ or ""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="print, write nothing")
    parser.add_argument(
        "--force", action="store_true", help="replace an existing table, noxfile or workflow"
    )
    add_repo_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from tiered_ci import changes  # noqa: PLC0415

    root = changes.find_root(args.repo)
    target = args.config or root / "pyproject.toml"
    existing = target.read_text(encoding="utf-8") if target.is_file() else ""
    has_table = repository.has_table(existing, target)
    if has_table and not args.force:
        raise InputError(
            f"{target}: already has a [tool.tiered-ci] table; pass --force to replace it"
        )
    branch, whence = repository.default_branch(root)
    proposal = propose(changes.tracked_files(root), repository.reader(root), default_branch=branch)
    proposal.why.insert(0, f"default-branch: {branch} ({whence}); the workflow's push branch too")
    files = {
        target: repository.without_table(existing) + ("\n" if existing else "") + proposal.table
    }
    requirement, install_note = installed_requirement()
    if install_note:
        proposal.notes.append(install_note)
    for rel, text, what in (
        (
            "noxfile.py",
            noxfile_text(requirement),
            f"the sessions (a PEP 723 block naming {requirement!r}, and register())",
        ),
        (
            WORKFLOW_PATH,
            WORKFLOW.format(branch=branch, sha="0" * 40)
            + (
                f'    with:\n      python-version: "{proposal.python}"\n' if proposal.python else ""
            ),
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
