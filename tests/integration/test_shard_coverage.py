"""Sharding loses no coverage: N shards, combined, cover what one unsharded run covers."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from coverage import CoverageData
from support import PROJECT_ROOT, cli_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TESTS = "tests/unit"  # this repository's unit tier, as the nox `unit` session runs it
SHARDS = 3
# Same tests, same examples in every run: property tests must not cover by chance.
PYTEST = ["-q", "-p", "no:cacheprovider", "-p", "no:randomly", "--hypothesis-seed=0"]


def plugin_args() -> list[str]:
    installed = any(ep.value == "tiered_ci.pytest_plugin" for ep in entry_points(group="pytest11"))
    return [] if installed else ["-p", "tiered_ci.pytest_plugin"]


def measure(data_dir: Path, name: str, *pytest_args: str) -> None:
    pytest_argv = [*plugin_args(), *PYTEST, *pytest_args, TESTS]
    subprocess.run(
        [sys.executable, "-m", "coverage", "run", "-m", "pytest", *pytest_argv],
        cwd=PROJECT_ROOT,
        env=cli_env({"COVERAGE_FILE": str(data_dir / f".coverage.{name}")}),
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    )


def combine(data_dir: Path, name: str) -> CoverageData:
    """`coverage combine` the files of one run into `<data_dir>/<name>`, then read them."""
    parts = sorted(str(p) for p in data_dir.glob(f".coverage.{name}*"))
    target = data_dir / name
    subprocess.run(
        [sys.executable, "-m", "coverage", "combine", f"--data-file={target}", *parts],
        cwd=PROJECT_ROOT,
        env=cli_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    data = CoverageData(basename=str(target))
    data.read()
    return data


def covered(data: CoverageData) -> dict[str, tuple[frozenset[int], frozenset[tuple[int, int]]]]:
    # tiered_ci/pytest_plugin.py does the deselecting itself, so it runs other branches when
    # sharded; it is the instrument here, not the thing measured.
    return {
        path: (frozenset(data.lines(path) or ()), frozenset(data.arcs(path) or ()))
        for path in data.measured_files()
        if not path.endswith("pytest_plugin.py")
    }


def test_combined_shards_cover_what_one_run_covers(tmp_path: Path) -> None:
    measure(tmp_path, "whole")
    for index in range(1, SHARDS + 1):
        measure(tmp_path, f"unit.{index}", f"--shard={index}/{SHARDS}")

    whole = covered(combine(tmp_path, "whole"))
    sharded = covered(combine(tmp_path, "unit"))

    assert whole, "the unsharded run measured nothing"
    assert sorted(sharded) == sorted(whole)
    differences = {path for path in whole if sharded[path] != whole[path]}
    assert not differences, f"coverage differs in {sorted(differences)}"
