"""Per-domain environments (tiered_ci.environments): what a session installs, and its key."""

from __future__ import annotations

import pytest

from tiered_ci import environments
from tiered_ci.environments import EnvSpec, env_spec, group_source, stamp_key
from tiered_ci.model import Install

GROUPS = {
    (".", "test"): ["pytest>=8", "coverage"],
    ("packages/billing", "test"): ["pytest", "freezegun"],
}


def groups(folder: str, name: str) -> list[str]:
    return GROUPS[folder, name]


@pytest.mark.critical
def test_a_package_environment_holds_only_what_the_package_declares() -> None:
    install = Install(
        root=False,
        editable=("packages/billing", "packages/core/"),
        requirements=("packages/billing/requirements-test.txt",),
        groups=("packages/billing:test",),
        extras=("test",),
        packages=("pytest-xdist",),
    )

    spec = env_spec(
        install, has_project=True, groups=groups, tiered_ci=["-e", "/src/tc"], isolated=True
    )

    assert spec.commands == (
        (
            "-e",
            "packages/billing[test]",
            "-e",
            "packages/core[test]",
            "-r",
            "packages/billing/requirements-test.txt",
            "pytest",
            "freezegun",
            "pytest-xdist",
        ),
        ("--no-deps", "-e", "/src/tc"),
        ("tomli>=2.0; python_version < '3.11'",),
    )
    assert spec.inputs == (
        "pyproject.toml",
        "packages/billing/pyproject.toml",
        "packages/billing/setup.py",
        "packages/billing/setup.cfg",
        "packages/core/pyproject.toml",
        "packages/core/setup.py",
        "packages/core/setup.cfg",
        "packages/billing/requirements-test.txt",
    )


def test_the_default_install_is_the_root_project_and_its_test_group() -> None:
    spec = env_spec(Install(groups=("test",)), has_project=True, groups=groups)
    assert spec.commands == (("-e", ".", "pytest>=8", "coverage"),)


def test_a_repository_without_a_project_table_installs_no_root() -> None:
    spec = env_spec(Install(groups=("test",)), has_project=False, groups=groups)
    assert spec == EnvSpec(commands=(("pytest>=8", "coverage"),), inputs=("pyproject.toml",))


def test_nothing_to_install_is_no_command() -> None:
    assert env_spec(Install(root=False), has_project=True, groups=groups).commands == ()


@pytest.mark.parametrize(
    ("group", "source"),
    [("test", (".", "test")), ("packages/a:test", ("packages/a", "test")), ("a/:t", ("a", "t"))],
)
def test_group_source(group: str, source: tuple[str, str]) -> None:
    assert group_source(group) == source


def test_the_key_changes_with_a_requirement_file_and_the_python() -> None:
    spec = env_spec(
        Install(root=False, requirements=("req.txt",)), has_project=False, groups=groups
    )
    key = stamp_key(spec, "3.12", {"req.txt": b"attrs\n"})
    assert key == stamp_key(spec, "3.12", {"req.txt": b"attrs\n"})
    assert key != stamp_key(spec, "3.12", {"req.txt": b"attrs\nidna\n"})
    assert key != stamp_key(spec, "3.11", {"req.txt": b"attrs\n"})
    assert key != stamp_key(spec, "3.12", {})  # the file was deleted
    assert environments.STAMP == ".tiered-ci-install.json"
