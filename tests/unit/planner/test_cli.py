"""`tiered-ci plan` and `check-config` as a user runs them: exit codes, stderr, outputs."""

from __future__ import annotations

import json
import platform
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from planner_fixtures import PlanRunner
from support import TOOL_GROUPS, GitRepo, cli_env, read_github_output

from tiered_ci import __version__
from tiered_ci.cli import main


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tiered_ci", *args],
        capture_output=True,
        text=True,
        env=cli_env(env),
        cwd=cwd,
        check=False,
    )


@pytest.mark.smoke
def test_github_format_writes_outputs_and_summary(project: GitRepo, tmp_path: Path) -> None:
    project.write("libs/common/c.py", "C = 10\n")
    project.commit("common")
    output, summary = tmp_path / "output", tmp_path / "summary.md"

    proc = run_cli(
        "plan",
        "--format",
        "github",
        "--repo",
        str(project.path),
        env={"GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary)},
    )

    assert proc.returncode == 0, proc.stderr
    text = output.read_text()
    delimiters = set(re.findall(r"^\w+<<(ghadelimiter_[0-9a-f]{32})$", text, re.MULTILINE))
    assert len(delimiters) == 1
    values = read_github_output(text)
    assert set(values) == {"sessions", "matrix", "has-matrix", "mode", "services", "domains"}
    assert values["has-matrix"] == "true"
    assert json.loads(values["sessions"]) == [
        "quick",
        "domain-shard(d0)",
        "integration",
        "docker-changed-services",
    ]
    assert json.loads(values["matrix"])["include"][0] == {
        "session": "domain-shard(d0)",
        "args": "",
        "id": "1-domain-shard-d0",
    }
    assert values["mode"] == "partial"
    assert json.loads(values["services"]) == ["api"]
    page = summary.read_text()
    assert (
        "| `domain:d0` | yes | `libs/common/c.py (modified) matches domains.d0.paths[1]` |" in page
    )
    assert "```mermaid\nflowchart LR\n" in page
    assert 'tier_unit --> s1["domain-shard(d0)"]' in page


def test_text_format_with_explain_all(project: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    project.write("src/app/d1/b.py", "B = 10\n")
    project.commit("d1")

    assert main(["plan", "--format", "text", "--explain=all", "--repo", str(project.path)]) == 0

    out = capsys.readouterr().out
    assert "sessions  quick, domain-shard(d1), integration" in out
    assert "  + domain:d1: src/app/d1/b.py (modified) matches domains.d1.paths[0]" in out
    assert "  - domain:d0: no changed file matches its rules" in out
    assert "  - service:api: no changed file matches its rules" in out
    assert "  - session:docker-changed-services: no service's inputs changed" in out
    assert "  - session:full-e2e: not in triggers.local (always or affected)" in out
    assert "  modified src/app/d1/b.py" in out
    assert "not shown" not in out


def test_explain_is_compact_by_default_and_shows_near_misses(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    project.write("src/app/d1/b.py", "B = 10\n")
    project.commit("d1")

    assert main(["plan", "--format", "text", "--explain", "--repo", str(project.path)]) == 0

    why = capsys.readouterr().out.split("why:\n")[1].split("changed:\n")[0].splitlines()
    assert why == [
        "  + domain:d1: src/app/d1/b.py (modified) matches domains.d1.paths[0]",
        "  + session:quick: triggers.local.always",
        "  + session:domain-shard(d1): domain d1 is selected",
        "  - session:unit: no unit test outside a domain changed (domain shards cover the rest)",
        "  + session:integration: a domain or service is selected; integration tests cross them",
        "  - session:docker-changed-services: no service's inputs changed",
        "  - session:full-e2e: not in triggers.local (always or affected)",
        "  (1 domain, 1 service not shown: no changed file is near them; --explain=all)",
    ]


def test_explain_marks_a_near_miss(project: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    project.write("services/api/notes.txt", "n\n")
    project.write("src/app/d0/data.csv", "a,b\n")
    config = (project.path / "pyproject.toml").read_text()
    config = config.replace('"src/app/d0/**"', '"src/app/d0/**/*.py"')
    project.write(
        "pyproject.toml",
        config.replace("[tool.tiered-ci]\n", '[tool.tiered-ci]\nunmapped = "warn"\n'),
    )
    project.commit("config")
    project.git.branch("-f", "main", "HEAD")
    project.write("src/app/d0/data.csv", "a,b,c\n")
    project.commit("data")

    assert main(["plan", "--format", "text", "--explain", "--repo", str(project.path)]) == 0

    out = capsys.readouterr().out
    assert (
        "  ~ domain:d0: near miss: src/app/d0/data.csv is under src/app/d0/ but matches none "
        "of its rules" in out
    )


def test_plan_from_a_subfolder_uses_the_repository_root(project: GitRepo) -> None:
    project.write("src/app/d1/b.py", "B = 10\n")
    project.commit("d1")

    proc = run_cli("plan", "--format", "json", cwd=project.path / "src" / "app")

    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["domains"] == ["d1"]


@pytest.mark.critical
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--event", "pull-request"],
            "tiered-ci plan: error: --event 'pull-request': unknown event; expected one of local, pull_request, pull_request_target, push, merge_group, schedule, workflow_dispatch, workflow_call, workflow_run, repository_dispatch, release",
        ),
        (
            ["--base", "no-such-branch"],
            "tiered-ci plan: error: --base 'no-such-branch': does not resolve to a commit in {repo}; fetch it first (git fetch origin REV) or pass an existing revision",
        ),
        (
            ["--event", "push", "--event-path", "{bad}"],
            "tiered-ci plan: error: --event-path {bad}: not valid JSON (line 1, column 1); pass the JSON file GitHub wrote for this event",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    project: GitRepo, tmp_path: Path, args: list[str], message: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("oops")
    output = tmp_path / "output"
    args = [a.format(bad=bad) for a in args]

    proc = run_cli(
        "plan",
        "--format",
        "github",
        "--repo",
        str(project.path),
        *args,
        env={"GITHUB_OUTPUT": str(output)},
    )

    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [message.format(repo=project.path, bad=bad)]
    assert not output.exists()


def test_wrong_config_type_exits_2(project: GitRepo, tmp_path: Path) -> None:
    config = tmp_path / "ci.toml"
    config.write_text('[tool.tiered-ci.services.api]\npaths = "libs/**"\n')

    proc = run_cli("plan", "--repo", str(project.path), "--config", str(config))

    assert proc.returncode == 2
    assert (
        proc.stderr
        == f"tiered-ci plan: error: {config}: tool.tiered-ci.services.api.paths: expected a list of globs, got str\n"
    )


def test_reversed_class_range_in_a_glob_exits_2(project: GitRepo, tmp_path: Path) -> None:
    config = tmp_path / "ci.toml"
    config.write_text('[tool.tiered-ci.domains.d]\npaths = ["src/[z-a]*"]\n')

    proc = run_cli("plan", "--repo", str(project.path), "--config", str(config))

    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        (
            f"tiered-ci plan: error: {config}: tool.tiered-ci.domains.d.paths[0]: invalid glob "
            "'src/[z-a]*': bad character range z-a; write ranges low to high, or escape a "
            "literal '[' as '\\['"
        )
    ]


def test_many_star_glob_against_a_long_path_finishes(project: GitRepo, tmp_path: Path) -> None:
    # issue 13 C7: on `re` this glob backtracks through every split of the 40 `a`s
    config = tmp_path / "ci.toml"
    stars = "*a" * 20 + "*b"
    config.write_text(f'[tool.tiered-ci.domains.x]\npaths = ["**/{stars}"]\n')
    project.write("src/" + "a" * 40 + ".py", "x = 1\n")

    proc = run_cli("plan", "--repo", str(project.path), "--config", str(config), "--format", "json")

    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["mode"] == "all"  # unmapped file, run-all by default


def test_not_a_git_repository_exits_2(tmp_path: Path) -> None:
    proc = run_cli("plan", "--repo", str(tmp_path))

    assert proc.returncode == 2
    assert (
        proc.stderr
        == f"tiered-ci plan: error: {tmp_path}: not a git repository; run inside a git checkout or pass --repo DIR\n"
    )


def test_github_format_without_github_output_exits_2(project: GitRepo) -> None:
    proc = run_cli("plan", "--format", "github", "--repo", str(project.path))

    assert proc.returncode == 2
    assert (
        proc.stderr
        == "tiered-ci plan: error: --format github: GITHUB_OUTPUT is not set; run inside GitHub Actions or set GITHUB_OUTPUT=FILE\n"
    )


def test_unknown_flag_is_a_usage_error() -> None:
    proc = run_cli("plan", "--fromat", "json")

    assert proc.returncode == 2
    assert "unrecognized arguments: --fromat json" in proc.stderr


def test_help_lists_every_command() -> None:
    proc = run_cli("--help")

    assert proc.returncode == 0
    for command in ("plan", "check-config"):
        assert command in proc.stdout


# --- check-config -------------------------------------------------------------------


def test_check_config_clean(project: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", "--repo", str(project.path)]) == 0
    assert (
        capsys.readouterr().out
        == f"{project.path / 'pyproject.toml'}: OK (2 domains, 1 services, 2 tiers)\n"
    )


def test_check_config_findings(project: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    project.write(
        "pyproject.toml",
        TOOL_GROUPS
        + """\
[tool.tiered-ci]
ignore = ["docs"]
run-all = ["setup.cfg"]
colour = "blue"

[tool.tiered-ci.domains.d0]
paths = ["!src/app/d0/generated/**"]
tests = ["tests/unit/nope"]

[tool.tiered-ci.services.api]
context = "services/api"
dockerfile = "services/api/Containerfile"
""",
    )

    assert main(["check-config", "--repo", str(project.path)]) == 1

    lines = capsys.readouterr().out.splitlines()
    prefix = f"{project.path / 'pyproject.toml'}: "
    assert lines == [
        f"{prefix}tool.tiered-ci.colour: unknown key; check its spelling against the docs",
        f"{prefix}tool.tiered-ci.ignore[0]: 'docs' is a folder name and matches only that exact path; write 'docs/**' to claim what is inside it",
        f"{prefix}tool.tiered-ci.run-all[0]: 'setup.cfg' matches no tracked file; fix the glob or remove it",
        f"{prefix}tool.tiered-ci.domains.d0.paths: only negations: a list of `!` patterns claims nothing; add the positive pattern they carve out of (e.g. 'src/**')",
        f"{prefix}tool.tiered-ci.domains.d0.paths[0]: '!src/app/d0/generated/**' matches no tracked file; fix the glob or remove it",
        f"{prefix}tool.tiered-ci.domains.d0.tests[0]: 'tests/unit/nope' matches no tracked file or folder; fix the path",
        f"{prefix}tool.tiered-ci.services.api.dockerfile: 'services/api/Containerfile' is not a tracked file; fix the path or commit it",
        f"{prefix}tool.tiered-ci.tiers.unit.paths: 'tests' holds 4 test files that no tier, domain or family runs (integration/test_flow.py, unit/d0/test_a.py, unit/d1/test_b.py, and 1 more); add 'tests' to it",
        f"8 finding(s) in {project.path / 'pyproject.toml'} (1 domains, 1 services, 0 tiers)",
    ]


@pytest.mark.parametrize(
    "text", ['[project]\nname = "x"\n', "[tool.ruff]\nline-length = 100\n", ""], ids=str.strip
)
def test_check_config_fails_without_a_table(
    repo: GitRepo, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    repo.write("pyproject.toml", text)
    repo.commit("no table")

    assert main(["check-config", "--repo", str(repo.path)]) == 1

    assert capsys.readouterr().out == (
        f"{repo.path / 'pyproject.toml'}: no [tool.tiered-ci] table: every change would run "
        "everything; run `tiered-ci init` to write one\n"
    )


def test_check_config_fails_without_a_pyproject(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write("setup.py", "")
    repo.commit("no pyproject")

    assert main(["check-config", "--repo", str(repo.path)]) == 1
    assert "no [tool.tiered-ci] table" in capsys.readouterr().out


def test_check_config_flags_a_domain_without_tests(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    config = (project.path / "pyproject.toml").read_text()
    project.write(
        "pyproject.toml", config + '\n[tool.tiered-ci.domains.lonely]\npaths = ["src/**"]\n'
    )

    assert main(["check-config", "--repo", str(project.path)]) == 1

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        f"{project.path / 'pyproject.toml'}: tool.tiered-ci.domains.lonely.tests: no tests: its "
        "domain-shard session runs nothing; list the test folders that cover it"
    )


def test_unmapped_warn_plans_the_rest_and_warns(project: GitRepo) -> None:
    config = (project.path / "pyproject.toml").read_text()
    config = config.replace("[tool.tiered-ci]\n", '[tool.tiered-ci]\nunmapped = "warn"\n', 1)
    project.write("pyproject.toml", config)
    project.commit("warn on unmapped")
    project.git.branch("-f", "main", "HEAD")
    project.write("tools/release.py", "print('r')\n")
    project.write("src/app/d1/b.py", "B = 11\n")
    project.commit("tools and d1")

    proc = run_cli("plan", "--format", "json", "--repo", str(project.path))

    assert proc.returncode == 0
    assert json.loads(proc.stdout)["domains"] == ["d1"]
    assert json.loads(proc.stdout)["mode"] == "partial"
    assert proc.stderr == (
        "tiered-ci plan: warning: tools/release.py: no rule claims it (unmapped = 'warn'); "
        "add it to a domain, a service, ignore or run-all\n"
    )


def test_trigger_policy_from_config(project: GitRepo, plan: PlanRunner) -> None:
    config = (project.path / "pyproject.toml").read_text()
    config += '\n[tool.tiered-ci.triggers.local]\nalways = ["quick", "unit"]\naffected = []\n'
    project.write("pyproject.toml", config)
    project.commit("local runs unit")
    project.git.branch("-f", "main", "HEAD")
    project.write("src/app/d1/b.py", "B = 12\n")
    project.commit("d1")

    result = plan(project)

    assert result["sessions"] == ["quick", "domain-shard(d0)", "domain-shard(d1)", "unit"]
    assert result["domains"] == ["d1"]


def test_an_internal_error_prints_a_bug_report_before_the_traceback(
    project: GitRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The one monkeypatch of an internal: a real bug cannot be kept around to trigger this.
    from tiered_ci.commands import check_config  # noqa: PLC0415

    def broken(args: object) -> int:
        raise RuntimeError(f"a bug while checking {args.__class__.__name__}")

    monkeypatch.setattr(check_config, "run", broken)

    code = main(["check-config", "--repo", str(project.path)])

    assert code == 3
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (
        "tiered-ci check-config: internal error (a bug in tiered-ci); please report it with "
        "everything below"
    )
    assert err[1] == f"tiered-ci version: {__version__}"
    assert err[2] == (
        f"python: {platform.python_implementation()} {platform.python_version()} ({sys.executable})"
    )
    assert err[3] == f"platform: {platform.platform()}"
    assert (
        err[4]
        == f"command: {shlex.join(['tiered-ci', 'check-config', '--repo', str(project.path)])}"
    )
    assert err[5] == "Traceback (most recent call last):"
    assert err[-1] == "RuntimeError: a bug while checking Namespace"
