"""Builder argv, bake file, job planning and builder detection: pure, no builder runs."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from tiered_ci.errors import ConfigError, UsageError
from tiered_ci.images import builders as docker
from tiered_ci.model import Service

SHA = "0123456789abcdef0123456789abcdef01234567"
API = Service("api", "services/api", "services/api/Dockerfile", "ghcr.io/acme/api")
FULL = Service(
    "web",
    "services/web",
    "services/web/Containerfile",
    "localhost/web",
    target="runtime",
    args={"VERSION": "1.2", "BASE": "scratch"},
)
ROOTED = Service(
    "worker", ".", "services/worker/Dockerfile", "localhost/worker", depends_on=("api",)
)

HEADS = {
    "docker": ("docker", "build"),
    "podman": ("podman", "build"),
    "buildah": ("buildah", "bud"),
}


@pytest.mark.critical
@pytest.mark.parametrize("builder", ["docker", "podman", "buildah"])
@pytest.mark.parametrize(
    ("service", "tags", "flags"),
    [
        (
            API,
            [SHA, SHA[:12]],
            [
                "-f",
                "./services/api/Dockerfile",
                "-t",
                f"ghcr.io/acme/api:{SHA}",
                "-t",
                "ghcr.io/acme/api:0123456789ab",
                "--",
                "./services/api",
            ],
        ),
        (
            FULL,
            ["v1"],
            [
                "-f",
                "./services/web/Containerfile",
                "-t",
                "localhost/web:v1",
                "--target",
                "runtime",
                "--build-arg",
                "BASE=scratch",
                "--build-arg",
                "VERSION=1.2",
                "--",
                "./services/web",
            ],
        ),
        (
            ROOTED,
            ["a", "b", "c"],
            [
                "-f",
                "./services/worker/Dockerfile",
                "-t",
                "localhost/worker:a",
                "-t",
                "localhost/worker:b",
                "-t",
                "localhost/worker:c",
                "--",
                ".",
            ],
        ),
    ],
)
@pytest.mark.parametrize("push", [False, True])
def test_every_builder_builds_then_pushes_each_tag(
    builder: docker.Builder, service: Service, tags: list[str], flags: list[str], push: bool
) -> None:
    expected_build = (*HEADS[builder], *flags)
    assert docker.build_cmd(builder, service, tags) == expected_build
    (job,) = docker.make_jobs(builder, [service], tags, push=push)
    pushes = tuple((builder, "push", f"{service.image}:{t}") for t in tags) if push else ()
    assert job.commands == (expected_build, *pushes)
    assert job.services == (service.name,)


@pytest.mark.parametrize("cache", ["none", "registry"])
def test_bake_file_holds_every_target_with_tags_target_args_and_cache(cache: str) -> None:
    definition = docker.bake_file([API, FULL, ROOTED], ["v1", "v1-short"], cache=cache)
    assert definition["group"] == {"default": {"targets": ["api", "web", "worker"]}}
    targets = definition["target"]
    assert isinstance(targets, dict)
    cached = (
        {
            "cache-from": ["type=registry,ref=ghcr.io/acme/api:buildcache"],
            "cache-to": ["type=registry,ref=ghcr.io/acme/api:buildcache,mode=max"],
        }
        if cache == "registry"
        else {}
    )
    assert targets["api"] == {
        "context": "services/api",
        "dockerfile": "Dockerfile",
        "tags": ["ghcr.io/acme/api:v1", "ghcr.io/acme/api:v1-short"],
        **cached,
    }
    web = targets["web"]
    assert web["dockerfile"] == "Containerfile"
    assert web["target"] == "runtime"
    assert web["args"] == {"BASE": "scratch", "VERSION": "1.2"}
    assert targets["worker"]["context"] == "."
    assert targets["worker"]["dockerfile"] == "services/worker/Dockerfile"


def test_bake_contexts_are_absolute_under_a_given_root(tmp_path: Path) -> None:
    targets = docker.bake_file([API, ROOTED], ["t"], root=tmp_path)["target"]
    assert isinstance(targets, dict)
    assert targets["api"]["context"] == str(tmp_path / "services/api")
    assert targets["worker"]["context"] == str(tmp_path)
    assert targets["worker"]["dockerfile"] == "services/worker/Dockerfile"


def test_bake_dockerfile_outside_the_context_is_relative_to_it() -> None:
    service = Service("x", "app", "docker/x.Dockerfile", "x")
    target = docker.bake_file([service], ["t"])["target"]
    assert isinstance(target, dict)
    assert target["x"]["dockerfile"] == "../docker/x.Dockerfile"


@pytest.mark.critical
@pytest.mark.parametrize("push", [False, True])
def test_bake_builds_all_targets_in_one_call_per_dependency_level(push: bool) -> None:
    jobs = docker.make_jobs("bake", [API, FULL, ROOTED], ["t"], push=push, bake_path="out/b.json")
    push_flag = ("--push",) if push else ()
    assert [job.commands for job in jobs] == [
        (("docker", "buildx", "bake", "--file", "out/b.json", *push_flag, "--", "api", "web"),),
        (("docker", "buildx", "bake", "--file", "out/b.json", *push_flag, "--", "worker"),),
    ]
    assert [job.needs for job in jobs] == [(), ("api",)]
    independent = docker.make_jobs("bake", [API, FULL], ["t"])
    assert len(independent) == 1


def test_bake_target_names_are_kept_when_valid_and_made_distinct_otherwise() -> None:
    names = docker.bake_targets(["web-1_x", "a_b", "a.b", "web app", "web/app"])
    assert names["web-1_x"] == "web-1_x"
    assert names["a_b"] == "a_b"
    assert names["a.b"] == "a_b-2e7336dc"
    assert names["web app"].startswith("web_app-")
    assert names["web/app"].startswith("web_app-")
    assert len(set(names.values())) == len(names)  # W6: injective, no image lost


def test_a_clash_left_after_hashing_is_a_config_error() -> None:
    clash = docker.bake_targets(["a.b"])["a.b"]
    with pytest.raises(ConfigError) as info:
        docker.bake_targets(["a.b", clash])
    assert str(info.value) == (
        f"services 'a.b' and {clash!r}: both become the bake target {clash!r}; rename one of them"
    )


@pytest.mark.critical
def test_w6_services_that_clean_to_the_same_name_stay_two_bake_targets() -> None:
    one = Service("a.b", "s1", "s1/Dockerfile", "img-one")
    two = Service("a_b", "s2", "s2/Dockerfile", "img-two")
    definition = docker.bake_file([one, two], ["t1"])
    targets = definition["target"]
    assert isinstance(targets, dict)
    assert sorted(t["tags"][0] for t in targets.values()) == ["img-one:t1", "img-two:t1"]
    (job,) = docker.make_jobs("bake", [one, two], ["t1"])
    assert job.commands[0][-2:] == ("a_b-2e7336dc", "a_b")
    assert definition["group"] == {"default": {"targets": ["a_b-2e7336dc", "a_b"]}}


@pytest.mark.critical
@pytest.mark.parametrize("builder", ["docker", "podman", "buildah"])
def test_s5_a_context_named_like_an_option_stays_a_path(builder: docker.Builder) -> None:
    service = Service("s", "--iidfile=/tmp/x", "-", "img")
    argv = docker.build_cmd(builder, service, ["t"])
    assert argv[-2:] == ("--", "./--iidfile=/tmp/x")
    assert argv[argv.index("-f") + 1] == "./-"  # never `-f -` (stdin)


def test_named_contexts_become_build_context_flags_and_bake_contexts(tmp_path: Path) -> None:
    base = Service("base", "base", "base/Dockerfile", "localhost/base")
    app = Service(
        "app",
        "app",
        "app/Dockerfile",
        "localhost/app",
        depends_on=("base",),
        contexts={"common": "libs/common", "b": "service:base", "img": "docker-image://alpine"},
    )
    (_, job) = docker.make_jobs("buildah", [base, app], ["t"])
    argv = job.commands[0]
    flags = [argv[i + 1] for i, word in enumerate(argv) if word == "--build-context"]
    assert flags == [
        "b=docker-image://localhost/base:t",
        "common=./libs/common",
        "img=docker-image://alpine",
    ]
    targets = docker.bake_file([base, app], ["t"], root=tmp_path)["target"]
    assert isinstance(targets, dict)
    assert targets["app"]["contexts"] == {
        "b": "target:base",
        "common": str(tmp_path / "libs/common"),
        "img": "docker-image://alpine",
    }


def test_jobs_need_only_selected_dependencies() -> None:
    (job,) = docker.make_jobs("podman", [ROOTED], ["t"])
    assert job.needs == ()
    jobs = docker.make_jobs("podman", [API, ROOTED], ["t"])
    assert [j.needs for j in jobs] == [(), ("api",)]


@pytest.mark.parametrize("tag", ["v1", "1.2.3", "_x", "a" * 128, SHA])
def test_valid_tags(tag: str) -> None:
    assert docker.check_tag(tag) == tag


@pytest.mark.parametrize("tag", ["", "-x", ".x", "a:b", "a/b", "a" * 129])
def test_invalid_tags(tag: str) -> None:
    with pytest.raises(UsageError) as info:
        docker.check_tag(tag)
    assert str(info.value) == (
        f"--tag {tag!r}: not a valid image tag; use letters, digits, '_', '.' and '-' "
        "(at most 128, not starting with '.' or '-')"
    )


@pytest.mark.parametrize("tool", ["podman", "buildah"])
def test_chroot_isolation_in_a_container_unless_the_user_chose(tool: docker.Tool) -> None:
    assert docker.builder_env(tool, {}, in_container=True) == {"BUILDAH_ISOLATION": "chroot"}
    assert docker.builder_env(tool, {}, in_container=False) == {}
    mine = {"BUILDAH_ISOLATION": "oci"}
    assert docker.builder_env(tool, mine, in_container=True) == mine


def test_docker_env_is_left_alone() -> None:
    assert docker.builder_env("bake", {"A": "1"}, in_container=True) == {"A": "1"}


class FakeProbe:
    """Answers like a machine where exactly `working` commands succeed (env-sensitive)."""

    def __init__(self, *working: tuple[str, ...], vfs_only: tuple[str, ...] = ()) -> None:
        self.working = set(working)
        self.vfs_only = set(vfs_only)
        self.asked: list[tuple[str, ...]] = []

    def works(self, argv: tuple[str, ...], env: Mapping[str, str]) -> bool:
        self.asked.append(argv)
        if argv[0] in self.vfs_only:
            return env.get("STORAGE_DRIVER") == "vfs"
        return argv in self.working


ENGINE = ("docker", "version", "--format", "{{.Server.Version}}")
BUILDX = ("docker", "buildx", "version")


@pytest.mark.critical
@pytest.mark.parametrize(
    ("working", "forced", "tool"),
    [
        ((ENGINE, BUILDX, ("podman", "info")), None, "bake"),
        ((ENGINE, ("podman", "info")), None, "docker"),
        # a docker client with buildx but no engine (this project's machines) is no builder
        ((BUILDX, ("podman", "info"), ("buildah", "info")), None, "podman"),
        ((BUILDX, ("buildah", "info")), None, "buildah"),
        ((ENGINE, BUILDX, ("podman", "info"), ("buildah", "info")), "buildah", "buildah"),
        ((ENGINE, BUILDX, ("podman", "info")), "podman", "podman"),
        ((ENGINE,), "docker", "docker"),
    ],
)
def test_choose_builder(
    working: tuple[tuple[str, ...], ...], forced: str | None, tool: str
) -> None:
    choice = docker.choose(forced, FakeProbe(*working), {}, in_container=False)
    assert choice.tool == tool


def test_choose_falls_back_to_vfs_storage_when_the_default_driver_fails() -> None:
    probe = FakeProbe(vfs_only=("buildah",))
    choice = docker.choose("buildah", probe, {"PATH": "/bin"}, in_container=True)
    assert choice.env == {"PATH": "/bin", "BUILDAH_ISOLATION": "chroot", "STORAGE_DRIVER": "vfs"}
    assert choice.notes == ("buildah: the default storage driver fails; using vfs",)


def test_no_builder_is_a_usage_error_saying_what_to_install() -> None:
    with pytest.raises(UsageError) as info:
        docker.choose(None, FakeProbe(BUILDX), {}, in_container=False)
    assert (
        str(info.value)
        == "no image builder works here; install docker with buildx, podman or buildah"
    )
    with pytest.raises(UsageError) as forced:
        docker.choose("docker", FakeProbe(BUILDX, ("podman", "info")), {}, in_container=False)
    assert str(forced.value) == (
        "--builder docker: docker is not available here; install docker with buildx, podman or buildah"
    )


def test_levels_put_dependencies_first() -> None:
    base = Service("base", "b", "b/Dockerfile", "b")
    mid = Service("mid", "m", "m/Dockerfile", "m", depends_on=("base",))
    top = Service("top", "t", "t/Dockerfile", "t", depends_on=("mid", "base"))
    other = Service("other", "o", "o/Dockerfile", "o")
    assert [[s.name for s in level] for level in docker.levels([top, mid, other, base])] == [
        ["other", "base"],
        ["mid"],
        ["top"],
    ]
