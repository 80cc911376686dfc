"""examples/packages-monorepo for real: nox lists one shard per package, and a shard runs
its package's tests in an environment holding only what that package declares.

Offline: the sessions run with UV_OFFLINE=1, so every install comes from local
paths (the packages, this checkout as tiered-ci) and uv's cache (pytest,
hatchling); nothing is fetched.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from support import GitRepo, git_env, run_nox

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PACKAGES = ["api", "cli", "core", "models", "storage"]


def nox(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_nox(root, *args, extra={"UV_OFFLINE": "1"})


def site_packages(venv: Path) -> set[str]:
    return {p.name.lower() for p in venv.glob("lib/python*/site-packages/*")}


def junit_cases(root: Path, session_slug: str) -> list[str]:
    tree = ET.parse(root / "reports" / f"junit-{session_slug}.xml")  # noqa: S314 - our own file
    return sorted(f"{c.get('classname')}.{c.get('name')}" for c in tree.iter("testcase"))


def test_nox_lists_one_domain_shard_per_package(packages_repo: GitRepo) -> None:
    listed = nox(packages_repo.path, "-l")
    assert listed.returncode == 0, listed.stderr
    shards = re.findall(r"^[*-] (domain-shard\(\S+\))", listed.stdout, re.MULTILINE)
    assert sorted(shards) == [f"domain-shard({p})" for p in PACKAGES]
    owned = re.findall(r"^[*-] (domain-integration\(\S+\))", listed.stdout, re.MULTILINE)
    assert sorted(owned) == ["domain-integration(api)", "domain-integration(storage)"]


def test_a_package_change_runs_only_its_tests_in_its_own_environment(
    packages_repo: GitRepo,
) -> None:
    root = packages_repo.path
    packages_repo.write(
        "packages/cli/src/acme_cli/__init__.py",
        (root / "packages/cli/src/acme_cli/__init__.py").read_text() + "\n# reviewed\n",
    )
    planned = subprocess.run(
        [sys.executable, "-m", "tiered_ci", "plan", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
        cwd=root,
        env={**git_env(), "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert planned.returncode == 0, planned.stderr
    matrix = json.loads(planned.stdout)["matrix"]["include"]
    assert matrix == [{"session": "domain-shard(cli)", "args": ""}]

    ran = nox(root, "-s", "domain-shard(cli)")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert junit_cases(root, "domain-shard-cli") == [
        "packages.cli.tests.test_cli.test_main_prints_the_url"
    ]
    installed = site_packages(root / ".nox" / "domain-shard-cli")
    # cli's declared dependency chain, its test group, and nothing of the root's.
    assert {"acme_cli", "acme_api", "acme_storage", "acme_models", "acme_core", "pytest"} <= {
        re.sub(r"[-.].*", "", n) for n in installed
    } | installed
    assert not {n for n in installed if n.startswith(("git", "yaml", "ruff", "coverage"))}


def test_a_leaf_of_the_graph_has_only_itself(packages_repo: GitRepo) -> None:
    root = packages_repo.path
    ran = nox(root, "-s", "domain-shard(core)")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert junit_cases(root, "domain-shard-core") == ["packages.core.tests.test_core.test_slug"]
    installed = site_packages(root / ".nox" / "domain-shard-core")
    assert not {
        n for n in installed if re.match(r"_?_?(editable__)?acme_(api|cli|models|storage)", n)
    }

    again = nox(root, "-s", "domain-shard(core)")
    assert again.returncode == 0, again.stderr
    assert "environment up to date (install key" in again.stderr


def test_a_packages_integration_tests_run_in_its_own_session_and_environment(
    packages_repo: GitRepo,
) -> None:
    root = packages_repo.path
    test = "packages/storage/tests/integration/test_catalogue.py"
    packages_repo.write(test, (root / test).read_text() + "\n# reviewed\n")
    planned = subprocess.run(
        [sys.executable, "-m", "tiered_ci", "plan", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
        cwd=root,
        env={**git_env(), "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert planned.returncode == 0, planned.stderr
    # A changed integration test of storage: its integration session alone, no shard.
    assert json.loads(planned.stdout)["matrix"]["include"] == [
        {"session": "domain-integration(storage)", "args": ""}
    ]

    ran = nox(root, "-s", "domain-integration(storage)", "domain-shard(storage)")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert junit_cases(root, "domain-integration-storage") == [
        "packages.storage.tests.integration.test_catalogue.test_a_catalogue_round_trips_by_slug"
    ]
    # The shard leaves its integration folder to the integration session.
    assert junit_cases(root, "domain-shard-storage") == [
        "packages.storage.tests.test_storage.test_put_then_get"
    ]
    installed = site_packages(root / ".nox" / "domain-integration-storage")
    assert not {n for n in installed if re.match(r"_?_?(editable__)?acme_(api|cli)", n)}
