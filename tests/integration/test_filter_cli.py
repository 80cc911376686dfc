"""`tiered-ci filter` end to end: a real repository, the real CLI in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support import GitRepo, cli_env

from tiered_ci._toml import tomllib

pytestmark = pytest.mark.integration

FILTERS = """\
backend:
  - 'src/**'
docs: 'docs/**'
added:
  - added: '**'
deleted:
  - deleted: '**'
"""


def run_cli(
    repo: GitRepo, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tiered_ci", *args],
        cwd=repo.path,
        env=cli_env(env),
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def repo_with_rename(repo: GitRepo) -> GitRepo:
    """main has src/old.py and docs/a.md; branch feature renames src/old.py and adds a file."""
    repo.write_many(
        {"src/old.py": "print('x')\n" * 20, "docs/a.md": "# a\n", "filters.yml": FILTERS}
    )
    repo.commit("base")
    repo.branch("feature")
    repo.git.mv("src/old.py", "src/new name.py")
    repo.write("docs/é $x.md", "b\n")
    repo.commit("rename and add")
    return repo


def test_rename_is_deleted_plus_added(repo_with_rename: GitRepo) -> None:
    result = run_cli(
        repo_with_rename,
        "filter",
        "--filters",
        "filters.yml",
        "--base",
        "main",
        "--head",
        "HEAD",
        "--list-files",
        "json",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "backend": True,
        "backend_count": 2,
        "backend_files": ["src/new name.py", "src/old.py"],
        "docs": True,
        "docs_count": 1,
        "docs_files": ["docs/é $x.md"],
        "added": True,
        "added_count": 2,
        "added_files": ["docs/é $x.md", "src/new name.py"],
        "deleted": True,
        "deleted_count": 1,
        "deleted_files": ["src/old.py"],
        "changes": ["backend", "docs", "added", "deleted"],
    }


def test_pull_request_event_uses_the_base_branch(repo_with_rename: GitRepo, tmp_path: Path) -> None:
    payload = tmp_path / "event.json"
    payload.write_text(
        json.dumps(
            {"pull_request": {"base": {"ref": "main"}, "head": {"sha": repo_with_rename.head()}}}
        )
    )
    result = run_cli(
        repo_with_rename,
        "filter",
        "--filters",
        "filters.yml",
        "--event",
        "pull_request",
        "--event-path",
        str(payload),
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert (values["backend_count"], values["docs_count"], values["changes"]) == (
        2,
        1,
        ["backend", "docs", "added", "deleted"],
    )


def test_fallback_sets_every_filter_true(repo_with_rename: GitRepo) -> None:
    result = run_cli(
        repo_with_rename,
        "filter",
        "--filters",
        "filters.yml",
        "--event",
        "schedule",
        "--list-files",
        "csv",
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == (
        "tiered-ci filter: warning: cannot tell what changed (a schedule run has no base to "
        "compare with; pass --base to plan a diff); every filter is true (fail-safe); _count "
        "and _files list the tracked files that match\n"
    )
    values = json.loads(result.stdout)
    assert values["deleted"] is True
    assert values["deleted_count"] == 0
    assert values["docs_files"] == 'docs/a.md,"docs/é $x.md"'
    assert values["changes"] == ["backend", "docs", "added", "deleted"]


def test_fallback_when_the_base_branch_is_missing(repo: GitRepo, tmp_path: Path) -> None:
    repo.write_many({"src/a.py": "a\n", "filters.yml": FILTERS})
    repo.commit("only commit")
    payload = tmp_path / "event.json"
    payload.write_text(json.dumps({"pull_request": {"base": {"ref": "release"}}}))
    result = run_cli(
        repo,
        "filter",
        "--filters",
        "filters.yml",
        "--event",
        "pull_request",
        "--event-path",
        str(payload),
    )
    assert result.returncode == 0
    assert "branch 'release' is not in this clone" in result.stderr
    assert json.loads(result.stdout)["backend"] is True


def test_github_format_appends_dorny_outputs(repo_with_rename: GitRepo, tmp_path: Path) -> None:
    output = tmp_path / "github_output"
    output.write_text("earlier=1\n")
    result = run_cli(
        repo_with_rename,
        "filter",
        "--filters",
        "docs: 'docs/**'",
        "--base",
        "main",
        "--format",
        "github",
        "--list-files",
        "shell",
        env={"GITHUB_OUTPUT": str(output)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "docs = true: 1 file(s)\n"
    lines = output.read_text().splitlines()
    marker = lines[1].split("<<", 1)[1]
    assert lines == [
        "earlier=1",
        f"docs<<{marker}",
        "true",
        marker,
        f"docs_count<<{marker}",
        "1",
        marker,
        f"docs_files<<{marker}",
        "'docs/é $x.md'",
        marker,
        f"changes<<{marker}",
        '["docs"]',
        marker,
    ]


def test_github_format_without_github_output_writes_nothing(repo_with_rename: GitRepo) -> None:
    result = run_cli(repo_with_rename, "filter", "--filters", "filters.yml", "--format", "github")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "tiered-ci filter: error: --format github: GITHUB_OUTPUT is not set; run inside "
        "GitHub Actions or set GITHUB_OUTPUT=FILE\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--filters", "missing.yml"],
            "--filters missing.yml: not found; pass a filter YAML file or inline YAML",
        ),
        (
            ["--filters", "src"],
            "--filters src: is not a file; pass a filter YAML file or inline YAML",
        ),
        (
            ["--filters", "a:\n  - add: 'x'"],
            "--filters (inline YAML): filter 'a': unknown status 'add' in 'add'; use added, copied, deleted, modified, renamed or unmerged (dorny would silently never match it)",
        ),
        (
            ["--filters", "a: x", "--base", "nope"],
            "--base 'nope': does not resolve to a commit in {root}; fetch it first (git fetch origin REV) or pass an existing revision",
        ),
        (
            ["--filters", "a: x", "--files-json", "absent.json"],
            "--files-json absent.json: cannot read it (FileNotFoundError)",
        ),
    ],
)
def test_bad_input_exits_2(repo_with_rename: GitRepo, args: list[str], message: str) -> None:
    result = run_cli(repo_with_rename, "filter", *args)
    assert result.returncode == 2
    assert (
        result.stderr == f"tiered-ci filter: error: {message.format(root=repo_with_rename.path)}\n"
    )


def test_files_json_needs_no_git(tmp_path: Path) -> None:
    files = tmp_path / "files.json"
    files.write_text(
        json.dumps([{"filename": "src/b.py", "status": "renamed", "previous_filename": "src/a.py"}])
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tiered_ci",
            "filter",
            "--filters",
            "gone:\n  - deleted: 'src/**'",
            "--files-json",
            str(files),
            "--list-files",
            "escape",
        ],
        cwd=tmp_path,
        env=cli_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "gone": True,
        "gone_count": 1,
        "gone_files": "src/a.py",
        "changes": ["gone"],
    }


def test_import_filters_prints_config(repo_with_rename: GitRepo) -> None:
    result = run_cli(repo_with_rename, "import-filters", "filters.yml")
    assert result.returncode == 0, result.stderr
    domains = tomllib.loads(result.stdout)["tool"]["tiered-ci"]["domains"]
    assert domains["backend"] == {"paths": ["src/**"], "tests": []}
    assert domains["deleted"] == {"paths": ["**"], "tests": []}
