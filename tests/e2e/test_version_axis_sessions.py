"""A domain's dependency-version axis for real: nox lists and runs a session per pin."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support import GitRepo, run_nox

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_nox_lists_a_session_per_pin(axis_repo: GitRepo) -> None:
    listed = run_nox(axis_repo.path, "-l", extra={"UV_OFFLINE": "1"})

    assert listed.returncode == 0, listed.stderr
    names = re.findall(r"^[*-] (domain-shard\(core\S*\))", listed.stdout, re.MULTILINE)
    assert names == [
        "domain-shard(core)",
        "domain-shard(core@click==8.0.4)",
        "domain-shard(core@click==8.1.7)",
    ]


def test_a_pinned_session_installs_its_version(packages_repo: GitRepo, tmp_path: Path) -> None:
    from lock_fixtures import write_wheel  # noqa: PLC0415

    links = tmp_path / "links"
    links.mkdir()
    for version in ("1.0", "2.0"):
        write_wheel(links, "tcpin", version)
    pyproject = packages_repo.path / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text()
        + '\n[tool.tiered-ci.domain-families.packages.members.core]\nmatrix = { "tcpin" = ["1.0", "2.0"] }\n'
    )
    packages_repo.write(
        "packages/core/tests/test_pinned.py",
        "import os\n\nimport pytest\n\n\ndef test_the_pin():\n"
        "    tcpin = pytest.importorskip('tcpin')\n"
        "    assert tcpin.VERSION == os.environ['WANT']\n",
    )
    packages_repo.commit("core: a tcpin axis")

    for version in ("1.0", "2.0"):
        extra = {"UV_OFFLINE": "1", "UV_FIND_LINKS": str(links), "WANT": version}
        session = f"domain-shard(core@tcpin=={version})"
        ran = run_nox(packages_repo.path, "-s", session, "--", "-k", "pin", extra=extra)
        assert ran.returncode == 0, ran.stdout + ran.stderr
        assert "1 passed" in ran.stdout + ran.stderr
