"""Real image builds with buildah / podman: `FROM scratch` + COPY images, built offline.

Each test uses its own image names (localhost/tci<random>-<service>) and
removes them afterwards, so tests can run in parallel and leave nothing behind.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from docker_fixtures import make_services_repo
from support import GitRepo, cli_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BUILDERS = [b for b in ("buildah", "podman") if shutil.which(b)]
if not BUILDERS:  # pragma: no cover - the project's machines install buildah (see README)
    pytestmark.append(pytest.mark.skip(reason="no buildah or podman: apt-get install -y buildah"))


def images(prefix: str) -> list[str]:
    """`name:tag` of every local image whose name starts with `prefix` (buildah's store)."""
    out = subprocess.run(
        ["buildah", "images", "--format", "{{.Name}}:{{.Tag}}"] if BUILDERS[0] == "buildah"
        else ["podman", "images", "--format", "{{.Repository}}:{{.Tag}}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return sorted(line for line in out.split() if line.startswith(prefix))


@pytest.fixture
def prefix() -> Iterator[str]:
    name = f"localhost/tci{uuid.uuid4().hex[:8]}"
    yield name
    leftovers = images(name)
    if leftovers:
        subprocess.run([BUILDERS[0], "rmi", "-f", *leftovers], capture_output=True, check=False)


@pytest.fixture
def three(tmp_path: Path, prefix: str) -> GitRepo:
    return make_services_repo(tmp_path / "repo", prefix)


def build(repo: GitRepo, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tiered_ci", "build", "--repo", str(repo.path), *args],
        capture_output=True,
        text=True,
        env=cli_env(),
        check=False,
        timeout=300,
    )


@pytest.mark.parametrize("builder", BUILDERS)
def test_one_changed_service_builds_exactly_that_image(
    three: GitRepo, prefix: str, builder: str
) -> None:
    three.write("services/web/index.html", "<p>web v2</p>\n")
    three.commit("web v2")
    proc = build(three, "--builder", builder, "--tag", "pr-7")
    assert proc.returncode == 0, proc.stderr
    assert images(prefix) == [f"{prefix}-web:pr-7"]
    assert f"tiered-ci build: built 1 image: {prefix}-web:pr-7" in proc.stderr


def test_a_shared_library_change_builds_its_dependants(three: GitRepo, prefix: str) -> None:
    three.write("libs/common/money.txt", "money v2\n")
    three.commit("money v2")
    proc = build(three, "--tag", "lib")  # the builder is detected
    assert proc.returncode == 0, proc.stderr
    assert images(prefix) == [f"{prefix}-worker:lib"]
    assert "  worker: libs/common/money.txt (services.worker.copy[0])" in proc.stderr


def test_a_change_upstream_rebuilds_the_services_that_depend_on_it(
    three: GitRepo, prefix: str
) -> None:
    three.write("services/api/app.txt", "api v2\n")
    three.commit("api v2")
    proc = build(three, "--tag", "up", "--jobs", "1")
    assert proc.returncode == 0, proc.stderr
    assert images(prefix) == [f"{prefix}-api:up", f"{prefix}-web:up"]
    assert proc.stderr.index("built api") < proc.stderr.index("built web")


def test_all_builds_every_service_tagged_with_the_head_commit(three: GitRepo, prefix: str) -> None:
    sha = three.head()
    proc = build(three, "--all")
    assert proc.returncode == 0, proc.stderr
    assert images(prefix) == sorted(
        f"{prefix}-{name}:{tag}" for name in ("api", "web", "worker") for tag in (sha, sha[:12])
    )


def test_a_broken_dockerfile_fails_naming_the_service_and_the_others_still_build(
    three: GitRepo, prefix: str
) -> None:
    three.write("services/web/Dockerfile", "FROM scratch\nCOPY missing.html /srv/\n")
    three.commit("break web")
    proc = build(three, "--all", "--tag", "broken", "--builder", BUILDERS[0])
    assert proc.returncode == 1
    assert images(prefix) == [f"{prefix}-api:broken", f"{prefix}-worker:broken"]
    assert "missing.html" in proc.stderr  # the builder's own output is shown
    assert "tiered-ci build: FAILED web (" in proc.stderr
    assert proc.stderr.splitlines()[-1] == "tiered-ci build: error: 1 of 3 builds failed: web"


def test_a_failed_dependency_skips_its_dependants(three: GitRepo, prefix: str) -> None:
    three.write("services/api/Dockerfile", "FROM scratch\nCOPY nope.txt /srv/\n")
    three.commit("break api")
    proc = build(three, "--all", "--tag", "dep")
    assert proc.returncode == 1
    assert images(prefix) == [f"{prefix}-worker:dep"]
    assert "tiered-ci build: skipped web: api failed" in proc.stderr
    assert proc.stderr.splitlines()[-1] == "tiered-ci build: error: 2 of 3 builds failed: api, web"


def image_file(ref: str, path: str) -> str:
    """The text of `path` inside the image `ref` (mounted with buildah)."""

    def out(*argv: str) -> str:
        return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()

    container = out("buildah", "from", ref)
    try:
        mount = out("buildah", "mount", container)
        return (Path(mount) / path.lstrip("/")).read_text(encoding="utf-8")
    finally:
        subprocess.run(["buildah", "rm", container], capture_output=True, check=False)


needs_buildah = pytest.mark.skipif(
    shutil.which("buildah") is None, reason="reads the image with buildah mount"
)


@needs_buildah
def test_s5_a_context_named_like_an_option_builds_from_that_folder(
    tmp_path: Path, prefix: str
) -> None:
    repo = GitRepo(tmp_path / "r")
    iid = tmp_path / "iid"
    repo.write_many(
        {
            "svc/Dockerfile": "FROM scratch\nCOPY m.txt /m.txt\n",
            f"--iidfile={iid}/m.txt": "configured context\n",
            "m.txt": "repository root\n",
            "pyproject.toml": (
                f'[tool.tiered-ci.services.s]\ncontext = "--iidfile={iid}"\n'
                f'dockerfile = "svc/Dockerfile"\nimage = "{prefix}-s5"\n'
            ),
        }
    )
    repo.commit("base")
    proc = build(repo, "--all", "--builder", "buildah", "--tag", "t1")
    assert proc.returncode == 0, proc.stderr
    assert not iid.is_file()  # before: buildah took the context as --iidfile and wrote it
    assert image_file(f"{prefix}-s5:t1", "/m.txt") == "configured context\n"


@needs_buildah
def test_w4_the_planned_symlink_target_is_what_the_builder_copies(
    tmp_path: Path, prefix: str
) -> None:
    repo = GitRepo(tmp_path / "r")
    repo.write_many(
        {
            "libs/common/a.txt": "v1\n",
            "svc/Dockerfile": "FROM scratch\nCOPY vendor /c\n",
            "pyproject.toml": (
                '[tool.tiered-ci.services.w]\ncontext = "."\n'
                f'dockerfile = "svc/Dockerfile"\nimage = "{prefix}-w4"\n'
            ),
        }
    )
    (repo.path / "vendor").symlink_to("libs/common")
    repo.commit("base")
    repo.branch("f")
    repo.write("libs/common/a.txt", "v2\n")
    repo.commit("change behind the link")
    proc = build(repo, "--base", "main", "--builder", "buildah", "--tag", "t")
    assert proc.returncode == 0, proc.stderr
    assert "  w: libs/common/a.txt (services.w.copy[0].symlink)" in proc.stderr
    assert image_file(f"{prefix}-w4:t", "/c/a.txt") == "v2\n"


@needs_buildah
def test_w5_a_compose_additional_context_is_watched_and_passed_to_the_builder(
    tmp_path: Path, prefix: str
) -> None:
    repo = GitRepo(tmp_path / "r")
    repo.write_many(
        {
            "libs/common/a.txt": "common v1\n",
            "svc/app.txt": "app\n",
            "svc/Dockerfile": "FROM scratch\nCOPY --from=common a.txt /a.txt\nCOPY app.txt /\n",
            "compose.yaml": (
                f"services:\n  w:\n    image: {prefix}-w5\n    build:\n      context: svc\n"
                "      additional_contexts:\n        common: ./libs/common\n"
            ),
            "pyproject.toml": '[tool.tiered-ci]\nservices-from = "compose"\n',
        }
    )
    repo.commit("base")
    repo.branch("f")
    repo.write("libs/common/a.txt", "common v2\n")
    repo.commit("change the additional context")
    proc = build(repo, "--base", "main", "--builder", "buildah", "--tag", "t")
    assert proc.returncode == 0, proc.stderr
    assert "  w: libs/common/a.txt (services.w.additional_contexts.common[0])" in proc.stderr
    assert image_file(f"{prefix}-w5:t", "/a.txt") == "common v2\n"


@needs_buildah
def test_a_service_build_context_uses_the_image_built_in_the_same_run(
    tmp_path: Path, prefix: str
) -> None:
    repo = GitRepo(tmp_path / "r")
    repo.write_many(
        {
            "base/Dockerfile": "FROM scratch\nCOPY b.txt /\n",
            "base/b.txt": "base layer\n",
            "app/Dockerfile": "FROM base\nCOPY a.txt /\n",
            "app/a.txt": "app layer\n",
            "compose.yaml": (
                f"services:\n  base:\n    image: {prefix}-base\n    build: base\n"
                f"  app:\n    image: {prefix}-app\n    build:\n      context: app\n"
                "      additional_contexts: {base: 'service:base'}\n"
            ),
            "pyproject.toml": '[tool.tiered-ci]\nservices-from = "compose"\n',
        }
    )
    repo.commit("base")
    proc = build(repo, "--services", "app", "--builder", "buildah", "--tag", "t")
    assert proc.returncode == 0, proc.stderr
    assert images(prefix) == [f"{prefix}-app:t", f"{prefix}-base:t"]
    assert image_file(f"{prefix}-app:t", "/b.txt") == "base layer\n"
