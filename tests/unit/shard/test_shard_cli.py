from __future__ import annotations

import json
from pathlib import Path

import pytest

from tiered_ci import durations as store
from tiered_ci.cli import main

DURATIONS = {
    "tests/a.py::t1": 4.0,
    "tests/a.py::t2": 3.0,
    "tests/b.py::t3": 2.0,
    "tests/b.py::t4": 1.0,
}


@pytest.fixture
def durations_file(tmp_path: Path) -> Path:
    path = tmp_path / ".test_durations"
    store.write(path, DURATIONS)
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.smoke
def test_shard_json_is_the_contract(
    durations_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "shard", f"--durations={durations_file}", "--shards", "2")

    assert (code, err) == (0, "")
    assert json.loads(out) == {
        "shards": [
            {"index": 1, "seconds": 5.0, "tests": ["tests/a.py::t1", "tests/b.py::t4"]},
            {"index": 2, "seconds": 5.0, "tests": ["tests/a.py::t2", "tests/b.py::t3"]},
        ],
        "total_seconds": 10.0,
        "lower_bound_seconds": 5.0,
        "makespan_seconds": 5.0,
    }


def test_shard_text_table(durations_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "shard", "--durations", str(durations_file), "--shards", "3", "--format", "text"
    )

    assert code == 0
    assert out.splitlines() == [
        "shard   tests     seconds  of makespan",
        "    1       1         4.0        100%",
        "    2       1         3.0         75%",
        "    3       2         3.0         75%",
        "total 10.0 s; makespan 4.0 s; lower bound 4.0 s (makespan / lower bound 1.000)",
    ]


def test_shard_tests_from_places_unknown_tests_and_drops_gone_ones(
    durations_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("tests/a.py::t1\ntests/a.py::new\n\n2 tests collected in 0.01s\n")

    code, out, err = run(
        capsys, "shard", f"--durations={durations_file}", "--shards=2", f"--tests-from={ids}"
    )

    assert code == 0
    assert [s["tests"] for s in json.loads(out)["shards"]] == [
        # new is estimated at the mean of tests/a.py still collected (4.0): a tie with t1,
        # broken by node id.
        ["tests/a.py::new"],
        ["tests/a.py::t1"],
    ]
    assert err == (
        "tiered-ci shard: 1 test(s) have no recorded duration; "
        "estimated from their class, file or suite mean\n"
    )


def test_shard_target_seconds_reports_the_choice(
    durations_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys,
        "shard",
        f"--durations={durations_file}",
        "--target-seconds=6",
        "--shard-overhead-seconds=1",
    )

    assert code == 0
    assert len(json.loads(out)["shards"]) == 2
    assert err == (
        "tiered-ci shard: 2 shard(s): estimated wall time 6.0 s (slowest shard 5.0 s + 1 s "
        "overhead) <= target 6 s\n"
    )


def test_shard_target_unreachable_says_so(
    durations_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, "shard", f"--durations={durations_file}", "--target-seconds=3", "--repo", "."
    )

    assert code == 0
    assert len(json.loads(out)["shards"]) == 3
    assert err == (
        "tiered-ci shard: target 3 s is unreachable: the slowest unit alone takes 4.0 s + 30 s "
        "overhead; best: 3 shard(s), estimated wall time 34.0 s (slowest shard 4.0 s + 30 s "
        "overhead)\n"
    )


def test_shard_reads_the_durations_path_from_the_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.tiered-ci]\ndurations = "ci/times.json"\nshard-overhead-seconds = 0\n'
    )
    (tmp_path / "ci").mkdir()
    store.write(tmp_path / "ci" / "times.json", DURATIONS)

    code, out, _ = run(capsys, "shard", f"--repo={tmp_path}", "--target-seconds=5")

    assert code == 0
    assert json.loads(out)["makespan_seconds"] == 5.0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--shards", "0"], "argument --shards: expected a whole number from 1 to 1000, got '0'"),
        (["--shards", "x"], "argument --shards: expected a whole number from 1 to 1000, got 'x'"),
        (
            ["--target-seconds", "-1"],
            "argument --target-seconds: expected a number of seconds >= 0, got '-1'",
        ),
        (
            ["--shards", "2", "--target-seconds", "9"],
            "argument --target-seconds: not allowed with argument --shards",
        ),
        ([], "one of the arguments --shards --target-seconds is required"),
    ],
)
def test_shard_bad_flags_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["shard", "--durations=x.json", *argv])

    assert caught.value.code == 2
    assert capsys.readouterr().err.splitlines()[-2] == f"tiered-ci shard: error: {message}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, 2", "not valid JSON (Expecting ',' delimiter at line 1 column 6)"),
        ('{"a.py::t": -1}', "'a.py::t': expected seconds from 0 to 1e+07, got -1"),
        ('{"a.py::t": 1e308}', "'a.py::t': expected seconds from 0 to 1e+07, got 1e+308"),
        ('{"a.py::t": "slow"}', "'a.py::t': expected a number of seconds, got a string"),
    ],
)
def test_shard_bad_durations_file_exits_2(
    tmp_path: Path, text: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "d.json"
    path.write_text(text)

    code, out, err = run(capsys, "shard", f"--durations={path}", "--shards=2")

    assert (code, out) == (2, "")
    assert err.startswith(f"tiered-ci shard: error: {path}: {message}")


def test_shard_missing_durations_file_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "shard", f"--durations={tmp_path / 'no.json'}", "--shards=2")

    assert code == 2
    assert err == (
        f"tiered-ci shard: error: {tmp_path / 'no.json'}: durations file not found; "
        "record one with `pytest --record-durations`\n"
    )


def test_shard_missing_durations_with_tests_from_balances_by_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("".join(f"t.py::t{i}\n" for i in range(5)))

    code, out, err = run(
        capsys, "shard", f"--durations={tmp_path / 'no.json'}", "--shards=2", f"--tests-from={ids}"
    )

    assert code == 0
    assert [len(s["tests"]) for s in json.loads(out)["shards"]] == [3, 2]
    assert err.startswith(f"tiered-ci shard: {tmp_path / 'no.json'}: no durations recorded yet")


# --- durations merge ---------------------------------------------------------------------


@pytest.mark.critical
def test_merge_later_files_win(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store.write(tmp_path / "base.json", {"a::t": 1.0, "a::u": 2.0})
    store.write(tmp_path / "s1.json", {"a::t": 1.5})
    store.write(tmp_path / "s2.json", {"a::u": 2.5, "a::new": 3.0})
    out_file = tmp_path / "merged.json"

    code, out, err = run(
        capsys,
        "durations",
        "merge",
        str(tmp_path / "base.json"),
        str(tmp_path / "s1.json"),
        str(tmp_path / "s2.json"),
        "-o",
        str(out_file),
    )

    assert (code, out) == (0, "")
    assert store.read(out_file) == {"a::new": 3.0, "a::t": 1.5, "a::u": 2.5}
    assert err == "tiered-ci durations: merged 3 file(s): 3 test(s)\n"


def test_merge_to_stdout_drops_tests_no_longer_collected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store.write(tmp_path / "a.json", {"a::t": 1.0, "a::gone": 2.0})
    ids = tmp_path / "ids.txt"
    ids.write_text("a::t\n")

    code, out, err = run(
        capsys, "durations", "merge", str(tmp_path / "a.json"), "--tests-from", str(ids)
    )

    assert code == 0
    assert out == store.dumps({"a::t": 1.0})
    assert err == (
        "tiered-ci durations: merged 1 file(s): 1 test(s), 1 no longer collected dropped\n"
    )


def test_merge_with_a_bad_input_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store.write(tmp_path / "good.json", {"a::t": 1.0})
    (tmp_path / "bad.json").write_text('{"a::t": -2}')
    out_file = tmp_path / "merged.json"

    code, _, err = run(
        capsys,
        "durations",
        "merge",
        str(tmp_path / "good.json"),
        str(tmp_path / "bad.json"),
        f"--output={out_file}",
    )

    assert code == 2
    assert err == (
        f"tiered-ci durations: error: {tmp_path / 'bad.json'}: 'a::t': expected seconds from 0 "
        "to 1e+07, got -2\n"
    )
    assert not out_file.exists()
