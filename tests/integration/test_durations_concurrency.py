"""Concurrent writers of one durations file lose nothing (issue 13, W10).

Real processes: several `tiered-ci durations merge ... -o F` at once (the repro
lost one writer's data in 18 of 20 trials), and two `pytest --record-durations`
runs whose test sessions overlap.
"""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

from support import cli_env

from tiered_ci import durations as store

WRITERS = 4
TESTS_EACH = 2000


def test_concurrent_merges_into_one_file_keep_every_writer(tmp_path: Path) -> None:
    target = tmp_path / ".test_durations"
    store.write(target, {"t::base": 1.0})
    inputs = []
    for writer in range(WRITERS):
        path = tmp_path / f"shard-{writer}.json"
        store.write(path, {f"t::w{writer}_{n}": float(writer + 1) for n in range(TESTS_EACH)})
        inputs.append(path)

    merge_into = [sys.executable, "-m", "tiered_ci", "durations", "merge", str(target)]
    merges = [
        subprocess.Popen(
            [*merge_into, str(path), "-o", str(target)],
            env=cli_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for path in inputs
    ]
    for merge in merges:
        _, err = merge.communicate(timeout=120)
        assert merge.returncode == 0, err

    merged = store.read(target)
    assert len(merged) == 1 + WRITERS * TESTS_EACH
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [".test_durations", *(p.name for p in inputs)]
    )  # no lock or temporary file left behind


SLOW_TESTS = """
import time

def test_{name}():
    time.sleep(1.0)  # both sessions are running while the other records
"""


def test_two_overlapping_pytest_runs_record_into_one_file(tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    (suite / "tests").mkdir(parents=True)
    (suite / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider -p no:randomly\n")
    for name in ("one", "two"):
        (suite / "tests" / f"test_{name}.py").write_text(SLOW_TESTS.format(name=name))
    store.write(suite / ".test_durations", {"tests/test_old.py::test_old": 3.0})
    installed = any(ep.value == "tiered_ci.pytest_plugin" for ep in entry_points(group="pytest11"))
    plugin = [] if installed else ["-p", "tiered_ci.pytest_plugin"]

    runs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pytest",
                *plugin,
                "--record-durations",
                f"tests/test_{name}.py",
            ],
            cwd=suite,
            env=cli_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name in ("one", "two")
    ]
    for run in runs:
        out, _ = run.communicate(timeout=300)
        assert run.returncode == 0, out

    assert sorted(store.read(suite / ".test_durations")) == [
        "tests/test_old.py::test_old",
        "tests/test_one.py::test_one",
        "tests/test_two.py::test_two",
    ]
