"""Inputs that crashed with exit 3 (issue 13, item 14): now exit 2 with one line, nothing written.

Each test is a reproduction from the reliability pass (`shared/repro/C_crashes.sh`),
run in-process through `tiered_ci.cli.main` against a real repository.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import GitRepo

from tiered_ci.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_payload_nested_100000_deep_exits_2(
    project: GitRepo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)

    code, out, err = run(
        capsys, "plan", "--repo", str(project.path), "--event", "push", "--event-path", str(deep)
    )

    assert (code, out) == (2, "")
    assert err == (
        f"tiered-ci plan: error: --event-path {deep}: nested too deeply to be a GitHub event "
        "payload; pass the JSON file GitHub wrote for this event\n"
    )


def test_durations_nested_too_deeply_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = tmp_path / "d.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)

    code, out, err = run(capsys, "shard", f"--durations={deep}", "--shards=2")

    assert (code, out) == (2, "")
    assert err == (
        f'tiered-ci shard: error: {deep}: nested too deeply; expected an object {{"<node id>": '
        "seconds}\n"
    )


def test_durations_that_would_overflow_a_sum_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "d.json"
    path.write_text(json.dumps({"t::a": 1e308, "t::b": 1e308, "t::c": 1e308}))

    code, out, err = run(capsys, "shard", f"--durations={path}", "--shards=2")

    assert (code, out) == (2, "")
    assert err == (
        f"tiered-ci shard: error: {path}: 't::a': expected seconds from 0 to 1e+07, got 1e+308\n"
    )


@pytest.mark.parametrize("count", ["10000000", "1001"])
def test_too_many_shards_exit_2_naming_the_limit(
    tmp_path: Path, count: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "d.json"
    path.write_text('{"t::a": 1}')

    with pytest.raises(SystemExit) as caught:
        main(["shard", f"--durations={path}", "--shards", count])

    assert caught.value.code == 2
    assert (
        f"argument --shards: expected a whole number from 1 to 1000, got '{count}'"
        in capsys.readouterr().err
    )


def test_a_thousand_shards_are_allowed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "d.json"
    path.write_text('{"t::a": 1}')

    code, out, _ = run(capsys, "shard", f"--durations={path}", "--shards=1000")

    assert code == 0
    assert len(json.loads(out)["shards"]) == 1000


# --- GITHUB_OUTPUT / GITHUB_STEP_SUMMARY: both checked before anything is written -------


@pytest.fixture
def changed(project: GitRepo) -> GitRepo:
    project.write("src/app/d0/a.py", "A = 2\n")
    project.commit("d0")
    return project


def test_github_output_in_a_missing_folder_exits_2(
    changed: GitRepo,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    missing = tmp_path / "nowhere" / "out"
    monkeypatch.setenv("GITHUB_OUTPUT", str(missing))

    code, out, err = run(capsys, "plan", "--format", "github", "--repo", str(changed.path))

    assert (code, out) == (2, "")
    assert err == (
        f"tiered-ci plan: error: GITHUB_OUTPUT={missing}: its folder {missing.parent} does not "
        "exist; point GITHUB_OUTPUT at a writable file\n"
    )


def test_step_summary_that_is_a_directory_exits_2_before_outputs_are_written(
    changed: GitRepo,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    output = tmp_path / "out"
    output.write_text("")
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path))

    code, out, err = run(capsys, "plan", "--format", "github", "--repo", str(changed.path))

    assert (code, out) == (2, "")
    assert err == (
        f"tiered-ci plan: error: GITHUB_STEP_SUMMARY={tmp_path}: is a directory; "
        "point GITHUB_STEP_SUMMARY at a writable file\n"
    )
    assert output.read_text() == ""  # nothing half-written


def test_filter_with_github_output_a_directory_exits_2(
    changed: GitRepo,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path))

    code, out, err = run(
        capsys,
        "filter",
        "--filters",
        'a: ["**"]',
        "--format",
        "github",
        "--repo",
        str(changed.path),
    )

    assert (code, out) == (2, "")
    assert err == (
        f"tiered-ci filter: error: GITHUB_OUTPUT={tmp_path}: is a directory; "
        "point GITHUB_OUTPUT at a writable file\n"
    )


def test_check_config_reports_a_missing_service_context(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    config = (project.path / "pyproject.toml").read_text()
    project.write(
        "pyproject.toml", config.replace('context = "services/api"', 'context = "svc/api"')
    )
    project.commit("context moved")

    code, out, _ = run(capsys, "check-config", "--repo", str(project.path))

    assert code == 1
    assert (
        f"{project.path / 'pyproject.toml'}: tool.tiered-ci.services.api.context: 'svc/api' is "
        "not a tracked folder, so nothing would be built from it; fix the path or commit the "
        "folder"
    ) in out.splitlines()
