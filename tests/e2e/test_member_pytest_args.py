"""A family member's own pytest arguments reach its shard (real nox, offline).

(`workers` needs pytest-xdist, which the example's packages do not install: its
argument is checked in tests/unit/planner/test_domain_pytest_args.py.)
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from support import GitRepo, run_nox

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_a_members_pytest_args_reach_its_shard(packages_repo: GitRepo) -> None:
    pyproject = packages_repo.path / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text()
        + "\n[tool.tiered-ci.domain-families.packages.members.core]\n"
        + 'pytest-args = ["--junit-prefix=serial"]\n'
    )
    packages_repo.commit("core: its own pytest arguments")

    ran = run_nox(packages_repo.path, "-s", "domain-shard(core)", extra={"UV_OFFLINE": "1"})

    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "--junit-prefix=serial" in ran.stderr
    report = ET.parse(packages_repo.path / "reports" / "junit-domain-shard-core.xml")  # noqa: S314
    assert all(c.get("classname", "").startswith("serial.") for c in report.iter("testcase"))
