"""`tiered-ci plan` notes on what the config leaves out (issue 17, items 1 and 9)."""

from __future__ import annotations

import json

import pytest
from support import GitRepo
from webapp_fixtures import WEB_APP, WEB_APP_CONFIG

from tiered_ci.cli import main

UNTESTED = (
    "no test runs for this change, though backend/app/main.py has tests: 'backend' holds 5 "
    "test files and only service:backend claims it; give the code a domain whose tests hold "
    "them (`tiered-ci check-config` names the tests and the domain)"
)


@pytest.fixture
def web_app_change(repo: GitRepo) -> GitRepo:
    repo.write_many(WEB_APP)
    repo.commit("web app")
    repo.write("backend/app/main.py", "APP = 2\n")
    repo.commit("backend: a change")
    return repo


def plan(
    repo: GitRepo, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[list[str], list[str]]:
    assert main(["plan", "--repo", str(repo.path), "--base", "HEAD~1", *args]) == 0
    captured = capsys.readouterr()
    return captured.out.splitlines(), captured.err.splitlines()


def test_a_plan_without_tests_for_changed_code_says_so(
    web_app_change: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    out, err = plan(web_app_change, capsys, "--format", "json")

    assert json.loads(out[0])["sessions"] == ["quick", "docker-changed-services"]
    assert err == [f"tiered-ci plan: note: {UNTESTED}"]


def test_the_explanation_lists_the_note(
    web_app_change: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    out, err = plan(web_app_change, capsys, "--format", "text", "--explain")

    assert err == []
    at = out.index("notes:")
    assert out[at : at + 4] == [
        "notes:",
        f"  {UNTESTED}",
        "changed:",
        "  modified backend/app/main.py",
    ]


def test_no_note_once_a_domain_runs_the_tests(
    web_app_change: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    domain = (
        '\n[tool.tiered-ci.domains.backend]\npaths = ["backend/**"]\ntests = ["backend/tests"]\n'
    )
    web_app_change.write("pyproject.toml", WEB_APP_CONFIG + domain)
    web_app_change.commit("a backend domain")
    web_app_change.write("backend/app/main.py", "APP = 3\n")
    web_app_change.commit("backend: another change")

    out, err = plan(web_app_change, capsys, "--format", "json")

    assert json.loads(out[0])["sessions"] == [
        "quick",
        "domain-shard(backend)",
        "docker-changed-services",
    ]
    assert err == []


def test_no_note_for_code_without_tests(repo: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    repo.write_many({**WEB_APP, "frontend/build.py": "X = 1\n"})
    repo.commit("web app")
    repo.write("frontend/build.py", "X = 2\n")
    repo.commit("frontend: a script")

    out, err = plan(repo, capsys, "--format", "json")

    assert json.loads(out[0])["sessions"] == ["quick", "docker-changed-services"]
    assert err == []


def test_an_unclaimed_file_is_named_as_such(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write_many(
        {
            "pyproject.toml": '[tool.tiered-ci]\nunmapped = "ignore"\n',
            "src/pkg/core.py": "X = 1\n",
            "tests/test_core.py": "def test(): pass\n",
        }
    )
    repo.commit("project")
    repo.write("src/pkg/core.py", "X = 2\n")
    repo.commit("core")

    _, err = plan(repo, capsys, "--format", "json")

    assert err == [
        (
            "tiered-ci plan: note: no test runs for this change, though src/pkg/core.py has tests: "
            "the repository holds 1 test file and no rule claims it (unmapped = 'ignore'); give the "
            "code a domain whose tests hold them (`tiered-ci check-config` names the tests and the domain)"
        )
    ]


# --- a revision without the table (item 9) ---------------------------------------------------


@pytest.fixture
def adopted_later(repo: GitRepo) -> tuple[GitRepo, str]:
    repo.write_many({"pyproject.toml": '[project]\nname = "x"\n', "src/x.py": "X = 1\n"})
    repo.commit("start")
    repo.write("src/x.py", "X = 2\n")
    before = repo.commit("before adoption")
    repo.write("pyproject.toml", '[project]\nname = "x"\n\n[tool.tiered-ci]\nignore = ["src/**"]\n')
    repo.commit("adopt tiered-ci")
    return repo, before


def test_a_revision_without_the_table_says_so(
    adopted_later: tuple[GitRepo, str], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, before = adopted_later
    args = ["plan", "--repo", str(repo.path), "--head", before, "--base", f"{before}~1"]

    assert main([*args, "--format", "json"]) == 0
    captured = capsys.readouterr()

    assert json.loads(captured.out)["mode"] == "all"
    assert captured.err.splitlines() == [
        (
            f"tiered-ci plan: note: pyproject.toml at commit {before[:12]} holds no "
            "[tool.tiered-ci] table: planned on the defaults, where no rule claims a file, so "
            "everything runs (`tiered-ci init` writes a table; `tiered-ci replay` plans past "
            "commits with today's)"
        )
    ]
    assert main([*args, "--format", "text", "--explain"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[out.index("notes:") + 1].startswith(
        f"  pyproject.toml at commit {before[:12]} holds no"
    )


def test_the_adopted_head_has_no_such_note(
    adopted_later: tuple[GitRepo, str], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, _ = adopted_later
    repo.write("src/x.py", "X = 3\n")

    assert main(["plan", "--repo", str(repo.path), "--base", "HEAD", "--format", "json"]) == 0

    assert capsys.readouterr().err == ""
