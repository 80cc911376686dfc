"""`pytest --shard=K/N` and `--record-durations` end to end, in real pytest subprocesses."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from support import cli_env

from tiered_ci import durations as store

pytestmark = pytest.mark.integration

CONFTEST = """
import os
import pytest

@pytest.fixture(autouse=True)
def _log_run(request):
    # Every test that runs appends its node id: O_APPEND lines survive xdist workers.
    with open(os.environ["RUN_LOG"], "a", encoding="utf-8") as log:
        log.write(request.node.nodeid + "\\n")
"""

ALPHA = """
import pytest

@pytest.mark.parametrize("n", range(8))
def test_fast(n):
    pass

@pytest.mark.slow
@pytest.mark.parametrize("n", range(4))
def test_slow(n):
    pass
"""

BETA = """
import pytest

class TestBeta:
    @pytest.mark.parametrize("where", ["a::b", "c::d", "e"])
    def test_param(self, where):
        pass

    def test_plain(self):
        pass
"""

GAMMA = """
import time
import pytest

@pytest.fixture(scope="module")
def expensive():
    time.sleep(0.6)
    yield "ready"

def test_uses_one(expensive):
    pass

def test_uses_two(expensive):
    pass

def test_cheap_one():
    pass

def test_cheap_two():
    pass
"""

RECORDED = {
    "tests/test_alpha.py::test_fast[0]": 5.0,
    "tests/test_alpha.py::test_fast[1]": 0.5,
    "tests/test_alpha.py::test_slow[0]": 9.0,
    "tests/test_beta.py::TestBeta::test_param[a::b]": 2.0,
    "tests/test_beta.py::TestBeta::test_plain": 1.0,
    "tests/test_gone.py::test_removed": 50.0,
}


def plugin_args() -> list[str]:
    # Installed, the entry point loads the plugin; `-p` again would register it twice.
    installed = any(ep.value == "tiered_ci.pytest_plugin" for ep in entry_points(group="pytest11"))
    return [] if installed else ["-p", "tiered_ci.pytest_plugin"]


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    """A small project: 20 tests in three files, with a durations file for some of them."""
    root = tmp_path / "suite"
    (root / "tests").mkdir(parents=True)
    (root / "pytest.ini").write_text(
        "[pytest]\naddopts = -p no:cacheprovider -p no:randomly\nmarkers =\n    slow: slow\n"
    )
    (root / "tests" / "conftest.py").write_text(CONFTEST)
    (root / "tests" / "test_alpha.py").write_text(ALPHA)
    (root / "tests" / "test_beta.py").write_text(BETA)
    (root / "tests" / "test_gamma.py").write_text(GAMMA)
    store.write(root / ".test_durations", RECORDED)
    return root


def pytest_run(suite: Path, *args: str) -> subprocess.CompletedProcess[str]:
    log = suite / "run.log"
    log.unlink(missing_ok=True)
    log.touch()
    return subprocess.run(
        [sys.executable, "-m", "pytest", *plugin_args(), *args],
        cwd=suite,
        env=cli_env({"RUN_LOG": str(log)}),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def ran(suite: Path) -> list[str]:
    return (suite / "run.log").read_text().splitlines()


def collected(suite: Path, *args: str) -> list[str]:
    result = pytest_run(suite, "--collect-only", "-q", *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return store.parse_node_ids(result.stdout, "collect-only")


def run_all_shards(suite: Path, count: int, *args: str) -> Counter[str]:
    runs: Counter[str] = Counter()
    for index in range(1, count + 1):
        result = pytest_run(suite, f"--shard={index}/{count}", *args)
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"tiered-ci: shard {index}/{count}" in result.stdout
        runs.update(ran(suite))
    return runs


@pytest.mark.slow
@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_every_test_runs_exactly_once_across_shards(suite: Path, workers: list[str]) -> None:
    everything = collected(suite)
    assert len(everything) == 20

    runs = run_all_shards(suite, 3, *workers)

    assert runs == Counter(everything)


@pytest.mark.slow
def test_shards_split_the_marker_selection(suite: Path) -> None:
    selection = collected(suite, "-m", "not slow")

    runs = run_all_shards(suite, 4, "-m", "not slow")

    assert len(selection) == 16
    assert runs == Counter(selection)


@pytest.mark.slow
def test_pytest_runs_the_shards_the_cli_prints(suite: Path) -> None:
    (suite / "ids.txt").write_text("\n".join(collected(suite)) + "\n")
    cli = subprocess.run(
        [sys.executable, "-m", "tiered_ci", "shard", "--shards=3", "--tests-from=ids.txt"],
        cwd=suite,
        env=cli_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    planned = json.loads(cli.stdout)["shards"]

    for index in (1, 2, 3):
        result = pytest_run(suite, f"--shard={index}/3")
        assert result.returncode == 0, result.stdout + result.stderr
        assert ran(suite) == planned[index - 1]["tests"]
    # The longest recorded test (9 s) opens shard 1.
    assert "tests/test_alpha.py::test_slow[0]" in planned[0]["tests"]


@pytest.mark.slow
def test_group_by_file_keeps_each_file_in_one_shard(suite: Path) -> None:
    files_per_shard = []
    for index in (1, 2, 3):
        result = pytest_run(suite, f"--shard={index}/3", "--shard-group-by=file")
        assert result.returncode == 0, result.stdout + result.stderr
        files_per_shard.append({test.split("::")[0] for test in ran(suite)})

    assert sorted(len(files) for files in files_per_shard) == [1, 1, 1]
    assert set().union(*files_per_shard) == {
        "tests/test_alpha.py",
        "tests/test_beta.py",
        "tests/test_gamma.py",
    }


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_an_empty_shard_exits_0_and_says_why(suite: Path, workers: list[str]) -> None:
    result = pytest_run(suite, "--shard=9/9", "-m", "slow", *workers)

    assert result.returncode == 0, result.stdout + result.stderr
    assert ran(suite) == []
    assert (
        "tiered-ci: shard 9/9 is empty by design: 4 selected test(s) fill fewer than 9 shards; "
        "exit status 0 instead of pytest's 5 (no tests collected)"
    ) in result.stdout


def test_an_empty_selection_still_exits_5(suite: Path) -> None:
    result = pytest_run(suite, "--shard=1/2", "-m", "no_such_marker")

    assert result.returncode == 5
    assert "tiered-ci: shard 1/2: the selection (paths, -m, -k) is empty" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--shard=0/4"], "ERROR: --shard=0/4: K must be between 1 and 4, got 0"),
        (["--shard=5/4"], "ERROR: --shard=5/4: K must be between 1 and 4, got 5"),
        (["--shard=1/0"], "ERROR: --shard=1/0: N must be between 1 and 1000, got 0"),
        (
            ["--shard=1/10000000"],
            "ERROR: --shard=1/10000000: N must be between 1 and 1000, got 10000000",
        ),
        (
            ["--shard=two"],
            "ERROR: --shard=two: expected K/N with whole numbers, 1 <= K <= N (e.g. --shard=1/4)",
        ),
        (
            ["--shard=1/2", "--shard-durations", "x.json"],
            (
                "ERROR: --shard-durations: write --shard-durations=PATH with '=': pytest reads "
                "a separate PATH as a test path"
            ),
        ),
        (
            ["--shard=1/2", "--shard-durations=bad.json"],
            "ERROR: bad.json: 'tests/a.py::t': expected seconds from 0 to 1e+07, got -3",
        ),
        (
            ["--shard=1/2", "--shard-durations=text.json"],
            (
                "ERROR: text.json: not valid JSON (Expecting value at line 1 column 1); "
                'expected an object {"<node id>": seconds}'
            ),
        ),
    ],
    ids=[
        "k-zero",
        "k-above-n",
        "n-zero",
        "n-too-many",
        "not-k-n",
        "separate-path",
        "negative",
        "not-json",
    ],
)
def test_bad_input_is_a_usage_error(suite: Path, args: list[str], message: str) -> None:
    (suite / "bad.json").write_text('{"tests/a.py::t": -3}')
    (suite / "text.json").write_text("tests/a.py::t 3\n")

    result = pytest_run(suite, *args)

    assert result.returncode == pytest.ExitCode.USAGE_ERROR
    assert result.stderr.splitlines()[0] == message
    assert ran(suite) == []


def test_record_spreads_module_fixture_time_over_the_tests_using_it(suite: Path) -> None:
    result = pytest_run(suite, "--record-durations", "tests/test_gamma.py")

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"tiered-ci: recorded 4 test durations in {suite / '.test_durations'}" in result.stdout
    recorded = store.read(suite / ".test_durations")
    gamma = {k.split("::")[1]: v for k, v in recorded.items() if "test_gamma" in k}
    # The 0.6 s module fixture is shared by the two tests that use it, whichever ran first.
    assert gamma["test_uses_one"] >= 0.25
    assert gamma["test_uses_two"] >= 0.25
    assert gamma["test_cheap_one"] < 0.25
    assert gamma["test_cheap_two"] < 0.25
    # Merged into the existing file: earlier records (even of removed tests) are kept.
    assert recorded["tests/test_gone.py::test_removed"] == 50.0


@pytest.mark.slow
def test_shard_jobs_record_and_merge_back(suite: Path) -> None:
    cli = [sys.executable, "-m", "tiered_ci", "durations", "merge", ".test_durations"]
    for index in (1, 2):
        result = pytest_run(
            suite, f"--shard={index}/2", "-n", "2", f"--record-durations-to=shard{index}.json"
        )
        assert result.returncode == 0, result.stdout + result.stderr
        cli.append(f"shard{index}.json")
    (suite / "ids.txt").write_text("\n".join(collected(suite)) + "\n")

    merge = subprocess.run(
        [*cli, "--tests-from=ids.txt", "-o", "merged.json"],
        cwd=suite,
        env=cli_env(),
        capture_output=True,
        text=True,
        check=False,
    )

    assert merge.returncode == 0, merge.stderr
    shard1 = json.loads((suite / "shard1.json").read_text())
    shard2 = json.loads((suite / "shard2.json").read_text())
    assert not set(shard1) & set(shard2)
    merged = store.read(suite / "merged.json")
    assert sorted(merged) == sorted(collected(suite))
    assert merged == shard1 | shard2  # every test was re-measured; the old values lost
    assert merge.stderr == (
        "tiered-ci durations: merged 3 file(s): 20 test(s), 1 no longer collected dropped\n"
    )
