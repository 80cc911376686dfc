"""Filter names become $GITHUB_OUTPUT keys: only safe, distinct names pass (issue 13, S1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from filter_support import filters_from
from support import GitRepo

from tiered_ci.cli import main
from tiered_ci.errors import InputError


@pytest.mark.parametrize(
    "name",
    [
        "deploy=true\nsrc",
        "a=b",
        "a<<EOF",
        "tab\there",
        "bell\x07",
        "my app",
        "a.b",
        "::error::x",
        "",
    ],
)
def test_unsafe_filter_names_exit_2_naming_the_filter(name: str) -> None:
    with pytest.raises(InputError) as info:
        filters_from(f"{json.dumps(name)}: ['src/**']")  # a JSON string is a YAML scalar
    assert str(info.value) == (
        f"--filters (inline YAML): filter {name!r}: a filter name may hold only letters, digits, "
        "'_' and '-'; rename it"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: ['x']\na_count: ['y']", "filters 'a' and 'a_count' both write the output 'a_count'"),
        ("a_files: ['y']\na: ['x']", "filters 'a_files' and 'a' both write the output 'a_files'"),
    ],
)
def test_colliding_outputs_exit_2(text: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        filters_from(text)
    assert str(info.value) == f"--filters (inline YAML): {message}; rename one of them"


def test_names_of_real_filter_files_pass() -> None:
    names = ["backend", "frontend-app", "api_v2", "Docs", "k8s", "changes"]
    assert [f.name for f in filters_from("\n".join(f"{n}: ['x/**']" for n in names))] == names


def test_injected_output_keys_never_reach_github_output(
    repo: GitRepo,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo.write("src/a.py", "a = 1\n")
    repo.commit("base")
    repo.branch("f")
    repo.write("src/a.py", "a = 2\n")
    repo.commit("change")
    filters = tmp_path / "filters.yml"
    filters.write_text('"deploy=true\\nsrc": ["src/**"]\n')  # the YAML key holds a newline
    output = tmp_path / "out"
    output.write_text("")
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))

    code = main(
        [
            "filter",
            "--filters",
            str(filters),
            "--base",
            "main",
            "--format",
            "github",
            "--repo",
            str(repo.path),
        ]
    )

    assert code == 2
    assert output.read_text() == ""
    assert "filter 'deploy=true\\nsrc': a filter name may hold only" in capsys.readouterr().err
