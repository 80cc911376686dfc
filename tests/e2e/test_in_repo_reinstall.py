"""A reused environment reinstalls an in-repo dependency that changed (real nox, offline).

`models` depends on `core` through `[tool.uv.sources]`; installed as a copy (no
`editable`), core's code lives in the environment as of the install. A change to
core must rebuild models' environment, so a local run tests what CI would.
"""

from __future__ import annotations

import subprocess

import pytest
from support import GitRepo, run_nox

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CHECK = """\
import os

import acme_core


def test_core_is_the_current_one():
    assert getattr(acme_core, "MARK", "") == os.environ["EXPECTED_MARK"]
"""


def shard(repo: GitRepo, mark: str) -> subprocess.CompletedProcess[str]:
    extra = {"UV_OFFLINE": "1", "EXPECTED_MARK": mark}
    return run_nox(repo.path, "-s", "domain-shard(models)", "--", "-k", "current", extra=extra)


@pytest.fixture
def copied_core(packages_repo: GitRepo) -> GitRepo:
    pyproject = packages_repo.path / "packages/models/pyproject.toml"
    text = pyproject.read_text().replace(
        'acme-core = { path = "../core", editable = true }', 'acme-core = { path = "../core" }'
    )
    assert text != pyproject.read_text()
    pyproject.write_text(text)
    packages_repo.write("packages/models/tests/test_core_mark.py", CHECK)
    packages_repo.commit("models installs core as a copy")
    return packages_repo


def test_a_changed_in_repo_dependency_is_reinstalled(copied_core: GitRepo) -> None:
    first = shard(copied_core, "")
    assert first.returncode == 0, first.stdout + first.stderr

    core = copied_core.path / "packages/core/src/acme_core/__init__.py"
    core.write_text(core.read_text() + '\nMARK = "new"\n')  # not committed: a local edit
    second = shard(copied_core, "new")

    assert "install inputs changed" in second.stderr
    assert second.returncode == 0, second.stdout + second.stderr


def test_an_unchanged_dependency_keeps_the_environment(copied_core: GitRepo) -> None:
    assert shard(copied_core, "").returncode == 0

    again = shard(copied_core, "")

    assert "environment up to date" in again.stderr
    assert again.returncode == 0, again.stdout + again.stderr
