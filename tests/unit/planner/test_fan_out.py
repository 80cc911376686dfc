"""Mode all fans out into domain shards (each its own environment), packed to fit."""

from __future__ import annotations

import pytest
from planner_fixtures import PlanRunner
from support import GitRepo

from tiered_ci.model import MATRIX_LIMIT
from tiered_ci.plan import MatrixEntry, pack_matrix

PACKAGES = ["api", "cli", "core", "models", "storage"]


@pytest.mark.critical
def test_mode_all_lists_one_entry_per_package_never_one_unit_job(
    packages_repo: GitRepo, plan: PlanRunner
) -> None:
    packages_repo.write(
        "pyproject.toml",
        (packages_repo.path / "pyproject.toml").read_text() + "\n[tool.touched]\nby-test = 1\n",
    )

    result = plan(packages_repo)

    assert result["mode"] == "all"
    entries = result["matrix"]["include"]
    assert [e["session"] for e in entries] == [
        *(f"domain-shard({p})" for p in PACKAGES),
        "domain-integration(api)",
        "domain-integration(storage)",
    ]
    assert "unit" not in result["sessions"]


def test_max_jobs_packs_the_shards_by_recorded_durations(
    packages_repo: GitRepo, plan: PlanRunner
) -> None:
    text = (packages_repo.path / "pyproject.toml").read_text()
    packages_repo.write("pyproject.toml", text + "\n[tool.tiered-ci.tiers.unit]\nmax-jobs = 2\n")
    packages_repo.write(
        ".test_durations",
        '{"packages/api/tests/test_api.py::test_create_returns_its_url": 50,'
        ' "packages/core/tests/test_core.py::test_slug": 30,'
        ' "packages/cli/tests/test_cli.py::test_main_prints_the_url": 10,'
        ' "packages/models/tests/test_models.py::test_item_key": 10,'
        ' "packages/storage/tests/test_storage.py::test_put_then_get": 10}\n',
    )

    result = plan(packages_repo)

    # Longest first onto the least loaded job: 50 + 10 s and 30 + 10 + 10 s.
    assert result["matrix"]["include"] == [
        {"session": "domain-pack", "args": "domain-shard(api) domain-shard(storage)"},
        {
            "session": "domain-pack",
            "args": "domain-shard(core) domain-shard(cli) domain-shard(models)",
        },
        # tiers.integration.max-jobs is not set: one job each.
        {"session": "domain-integration(api)", "args": ""},
        {"session": "domain-integration(storage)", "args": ""},
    ]
    assert {
        "target": "matrix",
        "path": None,
        "status": None,
        "rule": "5 domain shards packed into 2 jobs (tiers.unit.max-jobs = 2)",
    } in result["reasons"]


def test_the_matrix_never_exceeds_the_limit() -> None:
    shards = tuple(MatrixEntry(f"domain-shard(p{n:03})") for n in range(300))
    others = (MatrixEntry("integration"), MatrixEntry("docker-changed-services"))

    entries, notes = pack_matrix((*shards, *others), max_jobs=None, seconds={})

    assert len(entries) == MATRIX_LIMIT
    assert notes == [
        "300 domain shards packed into 254 jobs (a GitHub matrix holds at most 256 entries)"
    ]
    names = [
        n for e in entries for n in (e.args.split() if e.session == "domain-pack" else [e.session])
    ]
    assert sorted(n for n in names if n.startswith("domain-shard")) == sorted(
        s.session for s in shards
    )


def test_packing_keeps_pythons_apart() -> None:
    shards = tuple(
        MatrixEntry(f"domain-shard(p{n}-{py})", python=py)
        for n in range(4)
        for py in ("3.11", "3.12")
    )

    entries, _ = pack_matrix(shards, max_jobs=2, seconds={})

    assert {(e.session, e.python) for e in entries} == {
        ("domain-pack", "3.11"),
        ("domain-pack", "3.12"),
    }


def test_target_seconds_shards_are_capped(repo: GitRepo, plan: PlanRunner) -> None:
    repo.write(
        "pyproject.toml",
        "[tool.tiered-ci]\nshard-overhead-seconds = 0\n[tool.tiered-ci.tiers.unit]\n"
        'paths = ["tests"]\ntarget-seconds = 1\n',
    )
    tests = ", ".join(f'"tests/test_a.py::test_{n}": 5' for n in range(1002))
    repo.write(".test_durations", "{" + tests + "}\n")
    repo.write("tests/test_a.py", "def test_0(): pass\n")
    repo.commit("a thousand tests")
    repo.branch("feature")
    repo.write(
        "pyproject.toml",
        (repo.path / "pyproject.toml").read_text() + "\n[tool.touched]\nby-test = 1\n",
    )
    repo.commit("run all")

    result = plan(repo, "--event", "push")

    assert len(result["matrix"]["include"]) <= MATRIX_LIMIT
