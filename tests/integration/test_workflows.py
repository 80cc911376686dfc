"""The workflows stay thin, pinned and valid, and call only sessions that exist.

Checks run on .github/workflows/: zizmor (offline) finds nothing, the
github-workflows JSON schema accepts every file, every action is pinned to the
SHA in the project's pin table, checkouts keep no credentials, no `${{` reaches
a shell, and every `nox -s NAME` (workflows and Makefile, and every matrix
entry a real plan emits) names a session `nox -l --json` lists.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import PROJECT_ROOT, GitRepo, cli_env, read_github_output

pytestmark = pytest.mark.integration

WORKFLOWS = PROJECT_ROOT / ".github" / "workflows"
WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yml"))
MAKEFILE = PROJECT_ROOT / "Makefile"
NOXFILE = PROJECT_ROOT / "noxfile.py"

# shared/ACTIONS.md: the only actions the workflows may use, each at one commit.
PINS = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "astral-sh/setup-uv": ("20cfd1bf945f4377ade1205e4dbc17946fc9a30d", "v10.0.1"),
    "actions/upload-artifact": ("bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"),
    "actions/download-artifact": ("3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", "v8.0.1"),
    "docker/setup-buildx-action": ("37fe631027851001ddb9b187196cc803df7f5f0e", "v4.3.0"),
    "docker/login-action": ("4907a6ddec9925e35a0a9e82d7399ccc52663121", "v4.1.0"),
    "actions/cache": ("27d5ce7f107fe9357f9df03efb73ab90386fccae", "v5.0.5"),
    "actions/cache/restore": ("27d5ce7f107fe9357f9df03efb73ab90386fccae", "v5.0.5"),
    "actions/cache/save": ("27d5ce7f107fe9357f9df03efb73ab90386fccae", "v5.0.5"),
}
# `nox -s a b` up to `--`, a shell separator or the end of the line.
NOX_CALL = re.compile(
    r"(?:\bnox|\$\(NOX\))\s+-s\s+(?P<names>.*?)(?=\s+--(?:\s|$)|\s*[;&|]|\s*$)", re.MULTILINE
)


def tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    assert path is not None, f"{name} is not installed: it is in the `workflows` dependency group"
    return path


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def steps(workflow: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for job_name, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield job_name, step


def nox_names(command: str) -> list[str]:
    """Session names of every `nox -s a b` in a command line; shell variables are left out."""
    names = []
    for match in NOX_CALL.finditer(command):
        names += [n.strip("'\"") for n in match["names"].split() if "$" not in n]
    return names


def nox_list(*names: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nox", "-f", str(NOXFILE), "-l", "--json", "-s", *names],
        capture_output=True,
        text=True,
        check=False,
        cwd=PROJECT_ROOT,
    )


def listed_sessions(names: list[str]) -> list[str]:
    """What `nox -l --json -s NAMES` lists (nox exits 1 on a name it does not know)."""
    result = nox_list(*names)
    assert result.returncode == 0, result.stderr
    return [entry["session"] for entry in json.loads(result.stdout)]


def test_there_are_three_workflows() -> None:
    assert [p.name for p in WORKFLOW_FILES] == ["ci.yml", "nightly.yml", "ready-for-review.yml"]


def test_zizmor_offline_finds_nothing() -> None:
    result = subprocess.run(
        [tool("zizmor"), "--offline", "--no-progress", str(WORKFLOWS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_workflow_matches_the_github_workflow_schema(path: Path) -> None:
    result = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok -- validation done" in result.stdout


@pytest.mark.smoke
@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_every_action_is_pinned_to_its_sha(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    used = re.findall(r"uses:\s*(\S+)@(\S+)(?:\s+#\s*(\S+))?", text)
    assert used, f"{path.name} uses no action"
    for action, ref, comment in used:
        assert action in PINS, f"{path.name}: {action} is not in the pin table"
        assert (ref, comment) == PINS[action], f"{path.name}: {action}@{ref} # {comment}"
    for _, step in steps(load(path)):
        if "uses" in step:
            # owner/repo, or owner/repo/path for actions that ship several (actions/cache/save)
            assert re.fullmatch(r"[\w.-]+/[\w.-]+(?:/[\w.-]+)*@[0-9a-f]{40}", step["uses"]), step[
                "uses"
            ]


@pytest.mark.critical
@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_workflow_is_thin_and_keeps_no_credentials(path: Path) -> None:
    workflow = load(path)
    assert workflow["permissions"] == {"contents": "read"}
    checkouts = 0
    for job_name, step in steps(workflow):
        if step.get("uses", "").startswith("actions/checkout@"):
            checkouts += 1
            assert step["with"]["persist-credentials"] is False, job_name
        if "run" in step:
            command = step["run"]
            assert "${{" not in command, f"{job_name}: an expression inside run: {command!r}"
            assert "\n" not in command.strip(), f"{job_name}: one command per step: {command!r}"
            is_install = command.startswith("python -m pip install ")
            assert is_install or command.startswith("nox -s "), f"{job_name}: {command!r}"
    assert checkouts == len(workflow["jobs"])


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_only_the_image_push_may_write_packages(path: Path) -> None:
    for job_name, job in load(path)["jobs"].items():
        granted = job.get("permissions", {})
        assert set(granted) <= {"contents", "packages"}, job_name
        logins = [s for s in job["steps"] if "login-action" in s.get("uses", "")]
        if granted.get("packages") == "write":
            assert logins, f"{job_name}: packages: write without a registry login"
        for login in logins:
            # Never on pull requests: TIERED_CI_PUSH is true only for pushes to the default branch.
            assert "env.TIERED_CI_PUSH == 'true'" in login["if"], job_name
            assert job["env"]["TIERED_CI_PUSH"] == (
                "${{ github.event_name == 'push' && github.ref == "
                "format('refs/heads/{0}', github.event.repository.default_branch) }}"
            )


def test_ci_workflow_shape() -> None:
    workflow = load(WORKFLOWS / "ci.yml")
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as True
    assert triggers["pull_request"] == {"types": ["opened", "synchronize", "reopened"]}
    assert triggers["push"] == {"branches": ["main"]}
    assert "merge_group" in triggers
    jobs = workflow["jobs"]
    assert set(jobs) == {"plan", "quick", "run", "coverage", "gate", "impact-record"}
    # Default-branch pushes record the impact map; the matrix jobs restore the newest one.
    assert jobs["impact-record"]["if"] == "github.event_name == 'push'"
    assert {"run": "nox -s impact-record"} in jobs["impact-record"]["steps"]
    restore = next(s for s in jobs["run"]["steps"] if "cache/restore" in s.get("uses", ""))
    assert restore["with"]["restore-keys"] == "impact-map-"
    assert jobs["plan"]["steps"][-1] == {"id": "plan", "run": "nox -s plan -- --format github"}
    assert jobs["plan"]["steps"][0]["with"]["fetch-depth"] == 0
    assert jobs["run"]["strategy"]["matrix"] == "${{ fromJSON(needs.plan.outputs.matrix) }}"
    assert jobs["run"]["env"]["SESSION"] == "${{ matrix.session }}"
    assert jobs["run"]["env"]["ARGS"] == "${{ matrix.args }}"
    assert {"run": 'nox -s "$SESSION" -- $ARGS'} in jobs["run"]["steps"]
    assert jobs["gate"]["if"] == "always()"
    assert set(jobs["gate"]["needs"]) == {"plan", "quick", "run", "coverage"}
    assert jobs["gate"]["steps"][-1] == {
        "run": "nox -s gate",
        "env": {"NEEDS_JSON": "${{ toJSON(needs) }}"},
    }
    assert workflow["concurrency"]["cancel-in-progress"] == (
        "${{ github.event_name == 'pull_request' }}"
    )


@pytest.mark.parametrize(
    ("command", "names"),
    [
        ("nox -s plan -- --format github", ["plan"]),
        ('nox -s "$SESSION" -- $ARGS', []),
        ("nox -s lint full-e2e", ["lint", "full-e2e"]),
        ("quick: $(NOX) ; $(NOX) -s quick", ["quick"]),
        ('nox -s "domain-shard(api)" -- -x', ["domain-shard(api)"]),
        ("nox -s docker-changed-services -- --all", ["docker-changed-services"]),
        ("make test && nox -s unit; echo", ["unit"]),
    ],
)
def test_nox_names_are_read_from_commands(command: str, names: list[str]) -> None:
    assert nox_names(command) == names


def test_every_nox_call_in_workflows_and_makefile_names_a_session() -> None:
    commands = [s["run"] for p in WORKFLOW_FILES for _, s in steps(load(p)) if "run" in s]
    commands += MAKEFILE.read_text(encoding="utf-8").splitlines()
    names = sorted({name for command in commands for name in nox_names(command)})
    assert set(names) >= {"plan", "quick", "gate", "coverage", "full-e2e", "lint", "ci"}
    assert sorted(listed_sessions(names)) == names


def test_nox_list_rejects_an_unknown_session() -> None:
    result = nox_list("no-such-session")
    assert result.returncode != 0
    assert "Sessions not found: no-such-session" in result.stderr


def test_makefile_aliases_are_one_nox_call_each() -> None:
    text = MAKEFILE.read_text(encoding="utf-8")
    rules = dict(re.findall(r"^([a-z0-9-]+): \$\(NOX\) ; (.*)$", text, re.MULTILINE))
    assert sorted(rules) == sorted(
        [
            *("quick", "unit", "integration", "e2e", "plan", "ci"),
            *("test", "lint", "bench", "coverage", "build"),
        ]
    )
    assert all(re.fullmatch(r"\$\(NOX\) -s [a-z0-9 -]+", command) for command in rules.values())
    assert rules["test"] == "$(NOX) -s lint full-e2e"
    assert rules["e2e"] == "$(NOX) -s full-e2e"
    assert rules["build"] == "$(NOX) -s docker-changed-services"


# --- the plan job's outputs, read the way the workflow reads them -----------------------


@pytest.fixture
def like_this_repo(repo: GitRepo) -> GitRepo:
    """This project's config over a skeleton of the paths it names, on a branch `feature`."""
    repo.write("pyproject.toml", (PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for rel in (
        "ci/tiered_ci/plan.py",
        "ci/tiered_ci/config.py",
        "tests/unit/planner/test_a.py",
        "tests/unit/sessions/test_b.py",
        "tests/integration/test_c.py",
        "README.md",
    ):
        repo.write(rel, "# placeholder\n")
    repo.commit("base")
    repo.branch("feature")
    return repo


@pytest.mark.parametrize(
    ("changed", "event", "expected"),
    [
        ("ci/tiered_ci/plan.py", "push", {"domain-shard(planner)", "integration"}),
        ("tests/unit/sessions/test_b.py", "push", {"unit"}),
        ("pyproject.toml", "push", {"unit", "integration"}),
        ("ci/tiered_ci/plan.py", "schedule", {"full-e2e"}),
    ],
)
def test_plan_matrix_names_runnable_sessions(
    like_this_repo: GitRepo, tmp_path: Path, changed: str, event: str, expected: set[str]
) -> None:
    like_this_repo.write(changed, "# changed\n")
    like_this_repo.commit("change")
    output = tmp_path / "github_output"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tiered_ci",
            "plan",
            "--format=github",
            "--base=main",
            f"--event={event}",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=like_this_repo.path,
        env=cli_env({"GITHUB_OUTPUT": str(output)}),
    )
    assert result.returncode == 0, result.stderr
    outputs = read_github_output(output.read_text(encoding="utf-8"))
    matrix = json.loads(outputs["matrix"])  # what fromJSON(needs.plan.outputs.matrix) yields
    sessions = sorted({entry["session"] for entry in matrix["include"]})
    assert set(sessions) >= expected
    assert "quick" not in sessions  # the workflow's own quick job runs it
    assert all(re.fullmatch(r"(--shard=\d+/\d+)?", e["args"]) for e in matrix["include"])
    assert sorted(listed_sessions(sessions)) == sessions
    assert json.loads(outputs["matrix"])["include"][0] is not None  # the run job's `if:`


def test_sharded_matrix_entries_run_as_nox_session_with_posargs(
    like_this_repo: GitRepo, tmp_path: Path
) -> None:
    # A unit tier over its target time is split: {"session": "unit", "args": "--shard=K/N"}.
    config = like_this_repo.path / "pyproject.toml"
    text = config.read_text(encoding="utf-8")
    unit_table = "[tool.tiered-ci.tiers.unit]\n"
    config.write_text(text.replace(unit_table, unit_table + "target-seconds = 60\n"), "utf-8")
    durations = {f"tests/unit/planner/test_a.py::test_{i}": 40.0 for i in range(6)}
    like_this_repo.write(".test_durations", json.dumps(durations))
    like_this_repo.commit("slow unit tier")
    output = tmp_path / "github_output"
    result = subprocess.run(
        [sys.executable, "-m", "tiered_ci", "plan", "--format=github", "--base=main"],
        capture_output=True,
        text=True,
        check=False,
        cwd=like_this_repo.path,
        env=cli_env({"GITHUB_OUTPUT": str(output)}),
    )
    assert result.returncode == 0, result.stderr
    matrix = json.loads(read_github_output(output.read_text(encoding="utf-8"))["matrix"])
    shards = [e["args"] for e in matrix["include"] if e["session"] == "unit"]
    assert len(shards) > 1
    assert shards == [f"--shard={k}/{len(shards)}" for k in range(1, len(shards) + 1)]
    assert listed_sessions(["unit"]) == ["unit"]


# --- the gate, run as the workflow runs it ----------------------------------------------


def run_gate(needs: dict[str, str] | None) -> subprocess.CompletedProcess[str]:
    env = cli_env()
    if needs is not None:
        env["NEEDS_JSON"] = json.dumps(
            {job: {"result": r, "outputs": {}} for job, r in needs.items()}
        )
    return subprocess.run(
        [sys.executable, "-m", "nox", "-f", str(NOXFILE), "-s", "gate"],
        capture_output=True,
        text=True,
        check=False,
        cwd=PROJECT_ROOT,
        env=env,
    )


def test_gate_session_passes_when_the_plan_selected_nothing() -> None:
    result = run_gate({"plan": "success", "quick": "success", "run": "skipped"})
    assert result.returncode == 0, result.stderr
    assert "gate: every needed job passed or was skipped by the plan" in result.stderr


def test_gate_session_fails_on_a_failed_plan() -> None:
    result = run_gate({"plan": "failure", "quick": "success", "run": "skipped"})
    assert result.returncode == 1
    assert "gate: plan: failure (no trustworthy plan: everything must run)" in result.stderr
    assert "1 needed job(s) did not pass" in result.stderr


def test_gate_session_fails_without_needs() -> None:
    result = run_gate(None)
    assert result.returncode == 1
    assert "gate: NEEDS_JSON is empty" in result.stderr
