"""`tiered-ci build` as a user runs it: selection, dry-run argv, exit codes and messages.

Runs in-process on real git repositories; `--builder buildah --dry-run`
prints argv without needing a builder, so these tests run anywhere.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from docker_fixtures import built_images, make_services_repo
from support import GitRepo

from tiered_ci.cli import main

PREFIX = "localhost/tci"


@pytest.fixture
def three(tmp_path: Path) -> GitRepo:
    return make_services_repo(tmp_path / "repo", PREFIX)


def build(
    capsys: pytest.CaptureFixture[str], repo: GitRepo, *args: str
) -> tuple[int, list[str], str]:
    code = main(["build", "--repo", str(repo.path), *args])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def dry(capsys: pytest.CaptureFixture[str], repo: GitRepo, *args: str) -> list[str]:
    code, lines, err = build(capsys, repo, "--dry-run", "--builder", "buildah", "--tag", "t", *args)
    assert code == 0, err
    return lines


def plan_services(capsys: pytest.CaptureFixture[str], repo: GitRepo, *args: str) -> list[str]:
    assert main(["plan", "--format", "json", "--repo", str(repo.path), *args]) == 0
    services: list[str] = json.loads(capsys.readouterr().out)["services"]
    return services


@pytest.mark.smoke
def test_a_leaf_change_builds_that_service_only(
    three: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    three.write("services/web/index.html", "<p>web v2</p>\n")
    three.commit("web v2")
    lines = dry(capsys, three)
    assert lines == [
        f"buildah bud -f ./services/web/Dockerfile -t {PREFIX}-web:t -- ./services/web",
    ]


@pytest.mark.critical
@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("services/api/app.txt", ["api", "web"]),  # web depends on api
        ("services/web/index.html", ["web"]),
        ("libs/common/money.txt", ["worker"]),  # the root-context service COPYs it
        ("libs/other/unused.txt", "all"),  # nobody copies it: unmapped -> run-all
        ("services/worker/worker.toml", ["worker"]),
        ("docs/guide.md", []),  # ignored
        ("pyproject.toml", []),  # run-all, but a comment alone changes no table
    ],
)
def test_build_selects_what_the_plan_selects(
    three: GitRepo, capsys: pytest.CaptureFixture[str], path: str, expected: list[str] | str
) -> None:
    three.write(path, (three.path / path).read_text() + "# changed\n")
    three.commit(f"change {path}")
    planned = plan_services(capsys, three, "--base", "main")
    lines = dry(capsys, three, "--base", "main")
    built = [ref.removeprefix(f"{PREFIX}-").removesuffix(":t") for ref in built_images(lines)]
    assert built == planned
    assert built == (["api", "web", "worker"] if expected == "all" else expected)


def test_nothing_to_build_says_so(three: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    three.write("docs/guide.md", "# guide v2\n")
    three.commit("docs")
    code, lines, err = build(capsys, three, "--builder", "buildah", "--tag", "t")
    assert (code, lines) == (0, [])
    assert err == (
        "tiered-ci build: no service's inputs changed\ntiered-ci build: nothing to build\n"
    )


def test_reasons_name_the_path_and_rule(three: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    three.write("libs/common/money.txt", "money v2\n")
    three.commit("money v2")
    code, _, err = build(capsys, three, "--dry-run", "--builder", "podman", "--tag", "t")
    assert code == 0
    assert err.splitlines()[:2] == [
        "tiered-ci build: building the services the change affects",
        "  worker: libs/common/money.txt (services.worker.copy[0])",
    ]


def test_an_untrusted_diff_builds_everything_and_says_why(
    three: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines, err = build(
        capsys, three, "--event", "schedule", "--dry-run", "--builder", "buildah", "--tag", "t"
    )
    assert code == 0
    assert len(lines) == 3
    assert err.splitlines()[0] == (
        "tiered-ci build: building every service: a schedule run has no base to compare with; "
        "pass --base to plan a diff"
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--all"], ["api", "web", "worker"]),
        (["--services", "worker", "api"], ["api", "worker"]),
    ],
)
def test_all_and_named_services(
    three: GitRepo, capsys: pytest.CaptureFixture[str], args: list[str], expected: list[str]
) -> None:
    lines = dry(capsys, three, *args)
    assert [
        r.removeprefix(f"{PREFIX}-").removesuffix(":t") for r in built_images(lines)
    ] == expected


def test_default_tags_are_the_head_sha_and_its_short_form(
    three: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines, _ = build(capsys, three, "--services", "api", "--dry-run", "--builder", "podman")
    sha = three.head()
    assert code == 0
    assert lines == [
        (
            f"podman build -f ./services/api/Dockerfile -t {PREFIX}-api:{sha} "
            f"-t {PREFIX}-api:{sha[:12]} -- ./services/api"
        )
    ]


def test_push_and_several_tags(three: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines, _ = build(
        capsys, three, "--services", "api", "--dry-run", "--builder", "buildah",
        "--tag", "v1", "--tag", "latest", "--push",
    )  # fmt: skip
    assert code == 0
    assert lines == [
        (
            f"buildah bud -f ./services/api/Dockerfile -t {PREFIX}-api:v1 -t {PREFIX}-api:latest "
            "-- ./services/api"
        ),
        f"buildah push {PREFIX}-api:v1",
        f"buildah push {PREFIX}-api:latest",
    ]


def test_docker_dry_run_prints_one_bake_call_and_the_bake_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.write(
        "pyproject.toml",
        '[tool.tiered-ci]\ncache = "registry"\n'
        '[tool.tiered-ci.services.api]\nimage = "ghcr.io/acme/api"\n'
        '[tool.tiered-ci.services.web]\nimage = "ghcr.io/acme/web"\nargs = { MODE = "prod" }\n',
    )
    repo.write("services/api/Dockerfile", "FROM scratch\n")
    repo.write("services/web/Dockerfile", "FROM scratch\n")
    repo.commit("two services")
    code, lines, err = build(
        capsys, repo, "--all", "--dry-run", "--builder", "docker", "--tag", "t", "--push"
    )
    assert code == 0
    assert lines == ["docker buildx bake --file tiered-ci.bake.json --push -- api web"]
    bake = json.loads(err[err.index("{") : err.rindex("}") + 1])
    assert bake["target"]["web"] == {
        "context": "services/web",
        "dockerfile": "Dockerfile",
        "tags": ["ghcr.io/acme/web:t"],
        "args": {"MODE": "prod"},
        "cache-from": ["type=registry,ref=ghcr.io/acme/web:buildcache"],
        "cache-to": ["type=registry,ref=ghcr.io/acme/web:buildcache,mode=max"],
    }


def test_compose_services_are_built(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.write("pyproject.toml", '[tool.tiered-ci]\nservices-from = "compose"\n')
    repo.write(
        "compose.yaml",
        "services:\n  api:\n    build:\n      context: api\n      target: prod\n"
        "    image: localhost/capi\n  db:\n    image: postgres\n",
    )
    repo.write("api/Dockerfile", "FROM scratch AS prod\n")
    repo.commit("compose")
    lines = dry(capsys, repo, "--all")
    assert lines == ["buildah bud -f ./api/Dockerfile -t localhost/capi:t --target prod -- ./api"]
    repo.branch("feature")
    repo.write("api/app.txt", "v2\n")
    repo.commit("api v2")
    assert plan_services(capsys, repo, "--base", "main") == ["api"]
    assert dry(capsys, repo, "--base", "main") == lines


# --- bad input: exit 2 with a message naming what and how -----------------------------


@pytest.mark.critical
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--services", "api", "nope"],
            "--services: unknown service 'nope'; known: api, web, worker",
        ),
        (["--services", "api", "--all"], "--services and --all: pass one of them, not both"),
        (["--jobs", "0", "--all"], "--jobs 0: expected at least 1"),
        (
            ["--all", "--tag", "v:1"],
            (
                "--tag 'v:1': not a valid image tag; use letters, digits, '_', '.' and '-' "
                "(at most 128, not starting with '.' or '-')"
            ),
        ),
    ],
)
def test_bad_flags(
    three: GitRepo, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, lines, err = build(capsys, three, "--dry-run", "--builder", "buildah", *args)
    assert (code, lines) == (2, [])
    assert err == f"tiered-ci build: error: {message}\n"


def test_missing_dockerfile_names_the_service(
    three: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    three.remove("services/web/Dockerfile")
    three.commit("lose the web Dockerfile")
    code, lines, err = build(capsys, three, "--all", "--builder", "buildah", "--tag", "t")
    assert (code, lines) == (2, [])
    assert err.splitlines()[-1] == (
        f"tiered-ci build: error: service 'web': Dockerfile services/web/Dockerfile not found in "
        f"{three.path}; fix tool.tiered-ci.services.web.dockerfile or add the file"
    )


def test_compose_that_does_not_parse_names_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.write("pyproject.toml", '[tool.tiered-ci]\nservices-from = ["ops/compose.yml"]\n')
    repo.write("ops/compose.yml", "services:\n  api: {build: api\n")
    repo.commit("broken compose")
    code, _, err = build(capsys, repo, "--all", "--dry-run", "--builder", "buildah")
    assert code == 2
    assert err.startswith("tiered-ci build: error: ops/compose.yml: not valid YAML (line 3")


def test_no_builder_is_exit_2_saying_what_to_install(
    three: GitRepo,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    only_git = tmp_path / "bin"
    only_git.mkdir()
    git = shutil.which("git")
    assert git is not None
    (only_git / "git").symlink_to(git)
    monkeypatch.setenv("PATH", str(only_git))
    code, lines, err = build(capsys, three, "--all", "--tag", "t")
    assert (code, lines) == (2, [])
    assert err.splitlines()[-1] == (
        "tiered-ci build: error: no image builder works here; "
        "install docker with buildx, podman or buildah"
    )
    code, _, err = build(capsys, three, "--all", "--tag", "t", "--builder", "podman")
    assert code == 2
    assert err.splitlines()[-1] == (
        "tiered-ci build: error: --builder podman: podman is not available here; "
        "install docker with buildx, podman or buildah"
    )


def test_help_lists_the_flags(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["build", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for flag in (
        "--services",
        "--all",
        "--builder",
        "--tag",
        "--push",
        "--dry-run",
        "--jobs",
        "--event-path",
    ):
        assert flag in out


FAKE_DOCKER = """\
#!{python}
# A docker client with buildx and an engine: records each call, and the bake file it reads.
import json, pathlib, sys
log = pathlib.Path({log!r})
args = sys.argv[1:]
entry = {{"argv": args}}
if args[:2] == ["buildx", "bake"]:
    entry["bake"] = json.loads(pathlib.Path(args[args.index("--file") + 1]).read_text())
    if "web" in args:
        print("ERROR: failed to solve: web: COPY failed")
        sys.exit(1)
with log.open("a") as out:
    out.write(json.dumps(entry) + "\\n")
"""


def test_bake_runs_with_a_generated_file_when_docker_has_buildx_and_an_engine(
    three: GitRepo,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    bin_dir, log = tmp_path / "bin", tmp_path / "docker.log"
    bin_dir.mkdir()
    fake = bin_dir / "docker"
    fake.write_text(FAKE_DOCKER.format(python=sys.executable, log=str(log)))
    fake.chmod(0o755)
    git = shutil.which("git")
    assert git is not None
    (bin_dir / "git").symlink_to(git)
    monkeypatch.setenv("PATH", str(bin_dir))
    code, _, err = build(capsys, three, "--services", "worker", "--tag", "t", "--push")
    assert code == 0, err
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert [c["argv"][:2] for c in calls] == [
        ["version", "--format"],
        ["buildx", "version"],
        ["buildx", "bake"],
    ]
    bake_argv = calls[2]["argv"]
    assert bake_argv[2] == "--file"
    assert bake_argv[4:] == ["--push", "--", "worker"]
    assert calls[2]["bake"]["target"]["worker"] == {
        "context": str(three.path.resolve()),
        "dockerfile": "services/worker/Dockerfile",
        "tags": [f"{PREFIX}-worker:t"],
    }
    assert not Path(bake_argv[3]).exists()  # the temporary bake file is cleaned up
    code, _, err = build(capsys, three, "--services", "web", "--tag", "t")
    assert code == 1
    assert "ERROR: failed to solve: web: COPY failed" in err
    assert err.splitlines()[-1] == "tiered-ci build: error: 1 of 1 builds failed: web"


def test_an_input_only_a_root_context_image_claims_runs_every_test_and_builds_that_image(
    three: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    """`COPY libs/common` in a root-context build says which image, not which tests:
    no domain or test tier owns libs/common, so every test runs; only worker builds."""
    three.write("libs/common/money.txt", "money v2\n")
    three.commit("money v2")
    assert main(["plan", "--format", "json", "--repo", str(three.path), "--base", "main"]) == 0
    plan = json.loads(capsys.readouterr().out)

    assert plan["mode"] == "all"
    assert plan["services"] == ["worker"]
    assert "docker-changed-services" in plan["sessions"]
    assert plan["fallback_reason"] == (
        "libs/common/money.txt is an image input no domain or test tier claims, so every "
        "test runs (unmapped = 'run-all'); the images built are those it is an input of"
    )


@pytest.mark.parametrize(
    ("path", "config"),
    [
        # The worker's own folder: its Dockerfile lives there, though the context is the root.
        ("services/worker/worker.toml", ""),
        # Listed by the user under the service's `paths`: the user says it is the image's.
        ("libs/common/money.txt", 'paths = ["libs/common/**"]\n'),
        # A domain owns it: its tests run, and the image builds.
        (
            "libs/common/money.txt",
            '\n[tool.tiered-ci.domains.common]\npaths = ["libs/common/**"]\n',
        ),
    ],
)
def test_an_input_the_service_owns_plans_only_its_image(
    three: GitRepo, capsys: pytest.CaptureFixture[str], path: str, config: str
) -> None:
    three.write("pyproject.toml", (three.path / "pyproject.toml").read_text() + config)
    three.commit("config")
    three.write(path, "v2\n")
    three.commit("change")
    assert main(["plan", "--format", "json", "--repo", str(three.path), "--base", "HEAD~1"]) == 0
    plan = json.loads(capsys.readouterr().out)

    assert (plan["mode"], plan["services"]) == ("partial", ["worker"])
