"""examples/monorepo is what users copy: its config must load, lint clean and describe it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support import PROJECT_ROOT

from tiered_ci import config as config_module
from tiered_ci import lint
from tiered_ci._toml import tomllib
from tiered_ci.globs import compile_glob

EXAMPLE = PROJECT_ROOT / "examples" / "monorepo"

# Generated or tool-owned folders that are not part of the example.
_SKIP_DIRS = frozenset(
    {"__pycache__", ".nox", ".venv", ".pytest_cache", ".ruff_cache", "build", "dist"}
)

# The example's noxfile, Makefile and workflow callers (tests/integration/test_sessions.py
# and test_workflows.py check them); until present, run-all globs naming them match nothing.
_SHIPPED_FROM_ROOT = {"noxfile.py": "noxfile.py", "Makefile": "Makefile", ".github/**": ".github"}


def example_files() -> list[str]:
    """Every file of the example, relative to it, as git would track them."""
    found: list[str] = []
    for folder, dirs, files in os.walk(EXAMPLE):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.endswith(".egg-info"))
        rel = Path(folder).relative_to(EXAMPLE)
        found.extend((rel / name).as_posix() for name in sorted(files) if not name.endswith(".pyc"))
    return found


@pytest.fixture(scope="module")
def example_config() -> config_module.Config:
    return config_module.load(EXAMPLE)


@pytest.mark.smoke
def test_config_loads_with_domains_services_and_tiers(
    example_config: config_module.Config,
) -> None:
    assert example_config.unknown_keys == ()
    assert [n for n in example_config.domains if n.startswith("d")] == [
        "d0_gateway",
        "d1_targeting",
        "d2_catalog",
        "d3_billing",
        "d4_notify",
        "d5_reports",
    ]
    assert set(example_config.services) == {"api", "web", "reports-worker"}
    assert set(example_config.tiers) == {"quick", "unit", "integration", "e2e"}
    assert example_config.unmapped == "run-all"
    assert example_config.services["reports-worker"].context == "."


def test_config_lints_clean(example_config: config_module.Config) -> None:
    files = example_files()
    pending = {
        f"{config_module.PREFIX}.run-all[{i}]"
        for i, glob in enumerate(example_config.run_all)
        if glob in _SHIPPED_FROM_ROOT and not (EXAMPLE / _SHIPPED_FROM_ROOT[glob]).exists()
    }
    findings = [str(f) for f in lint.lint(example_config, files) if f.key not in pending]
    assert findings == []


def test_every_domain_glob_matches_a_file(example_config: config_module.Config) -> None:
    files = example_files()
    for domain in example_config.domains.values():
        for glob in domain.paths:
            compiled = compile_glob(glob)
            assert any(compiled.matches(f) for f in files), f"{domain.name}: {glob}"


def test_every_domain_has_unit_tests(example_config: config_module.Config) -> None:
    for domain in example_config.domains.values():
        assert domain.tests, domain.name
        for folder in domain.tests:
            assert sorted((EXAMPLE / folder).glob("test_*.py")), f"{domain.name}: {folder}"


def test_each_unit_test_file_belongs_to_exactly_one_domain(
    example_config: config_module.Config,
) -> None:
    """DESIGN section 6: the shards are a partition of the unit tier."""
    owners: dict[str, list[str]] = {}
    for rel in example_files():
        if rel.startswith("tests/unit/") and Path(rel).name.startswith("test_"):
            owners[rel] = [
                d.name
                for d in example_config.domains.values()
                if any(rel.startswith(f"{t.rstrip('/')}/") for t in d.tests)
            ]
    assert owners
    assert {rel: names for rel, names in owners.items() if len(names) != 1} == {}


def dockerfile_instructions(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


@pytest.mark.smoke
@pytest.mark.parametrize("service", ["api", "web", "reports-worker"])
def test_dockerfiles_build_offline_from_scratch(
    example_config: config_module.Config, service: str
) -> None:
    spec = example_config.services[service]
    dockerfile = EXAMPLE / spec.dockerfile
    text = dockerfile.read_text(encoding="utf-8")
    instructions = dockerfile_instructions(dockerfile)
    assert instructions[0] == "FROM scratch"
    assert "# production: FROM " in text
    assert {i.split()[0] for i in instructions} <= {"FROM", "COPY", "LABEL"}
    for copy in (i.split() for i in instructions if i.startswith("COPY ")):
        for source in copy[1:-1]:
            assert (EXAMPLE / spec.context / source).exists(), f"{service}: {source}"


def test_root_context_service_ships_the_shared_library(
    example_config: config_module.Config,
) -> None:
    worker = example_config.services["reports-worker"]
    copies = [
        i.split()[1]
        for i in dockerfile_instructions(EXAMPLE / worker.dockerfile)
        if i.startswith("COPY ")
    ]
    assert "libs/common/common" in copies
    assert "libs/common/**" in worker.paths
    assert (EXAMPLE / "services" / "api" / ".dockerignore").is_file()


def test_project_metadata_matches_the_sessions_contract() -> None:
    document = tomllib.loads((EXAMPLE / "pyproject.toml").read_text(encoding="utf-8"))
    groups = document["dependency-groups"]
    assert groups["test"] == ["pytest", "pytest-xdist", "coverage[toml]"]
    assert groups["lint"] == ["ruff"]
    pytest_options = document["tool"]["pytest"]["ini_options"]
    assert "--strict-markers" in pytest_options["addopts"]
    markers = sorted(m.split(":")[0] for m in pytest_options["markers"])
    assert markers == ["critical", "e2e", "integration", "slow", "smoke"]
    coverage = document["tool"]["coverage"]["run"]
    assert (coverage["parallel"], coverage["relative_files"], coverage["branch"]) == (
        True,
        True,
        True,
    )
