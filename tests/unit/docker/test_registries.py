"""check-config says when an image would be pushed to a registry the workflow never
logged in to (issue 18: the example's `localhost/monorepo-*` with `push-images: true`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from support import GitRepo

from tiered_ci.images.registries import image_registry, pushing_calls
from tiered_ci.tree import WorkTree

CALLER = """\
on: push
jobs:
  tiered-ci:
    uses: your-org/tiered-ci/.github/workflows/tiered-ci.yml@{sha}
    with:
{inputs}
  other:
    runs-on: ubuntu-latest
    steps: [{{run: "true"}}]
"""
CONFIG = """\
[dependency-groups]
test = ["pytest"]
lint = ["ruff"]

[tool.tiered-ci]
[tool.tiered-ci.domains.app]
paths = ["app/**"]
tests = ["tests"]
[tool.tiered-ci.services.api]
context = "api"
image = "{image}"
"""


@pytest.mark.parametrize(
    ("image", "registry"),
    [
        ("api", "docker.io"),
        ("acme/api", "docker.io"),
        ("docker.io/acme/api", "docker.io"),
        ("index.docker.io/acme/api", "docker.io"),
        ("localhost/monorepo-api", "localhost"),
        ("localhost:5000/a/b", "localhost:5000"),
        ("ghcr.io/your-org/monorepo-api", "ghcr.io"),
        ("GHCR.IO/acme/api", "ghcr.io"),
    ],
)
def test_image_registry(image: str, registry: str) -> None:
    assert image_registry(image) == registry


def shop(repo: GitRepo, image: str, inputs: str) -> GitRepo:
    repo.write_many(
        {
            "pyproject.toml": CONFIG.format(image=image),
            "app/a.py": "A = 1\n",
            "tests/test_a.py": "def test_a(): pass\n",
            "api/Dockerfile": "FROM scratch\n",
            ".github/workflows/ci.yml": CALLER.format(sha="0" * 40, inputs=inputs),
        }
    )
    repo.commit("shop")
    return repo


def check_config(repo: GitRepo) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tiered_ci", "check-config", "--repo", str(repo.path)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_pushing_to_the_default_registry_an_image_named_for_localhost_is_a_finding(
    repo: GitRepo,
) -> None:
    shop(repo, "localhost/monorepo-api", "      push-images: true")
    result = check_config(repo)
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        "services.api.image: 'localhost/monorepo-api' is in registry localhost, but "
        ".github/workflows/ci.yml (job tiered-ci) pushes images after logging in to ghcr.io"
    ) in result.stdout


@pytest.mark.parametrize(
    ("image", "inputs"),
    [
        ("ghcr.io/acme/api", "      push-images: true"),
        ("localhost/api", "      push-images: false"),
        ("localhost:5000/api", '      push-images: true\n      registry: "localhost:5000"'),
        ("acme/api", "      push-images: true\n      registry: docker.io"),
        ("acme/api", "      push-images: true\n      registry: ${{ vars.REGISTRY }}"),
    ],
)
def test_agreeing_or_not_pushing_is_clean(repo: GitRepo, image: str, inputs: str) -> None:
    shop(repo, image, inputs)
    result = check_config(repo)
    assert "registry" not in result.stdout, result.stdout
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_expression_may_push(tmp_path: Path) -> None:
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    inputs = "      push-images: ${{ github.ref == 'refs/heads/main' }}"
    (folder / "ci.yaml").write_text(CALLER.format(sha="0" * 40, inputs=inputs))
    (folder / "broken.yml").write_text("jobs: [\n")
    assert [tuple(c) for c in pushing_calls(WorkTree(tmp_path))] == [
        (".github/workflows/ci.yaml", "tiered-ci", "ghcr.io")
    ]


def test_the_example_s_images_agree_with_its_workflow() -> None:
    example = Path(__file__).resolve().parents[3] / "examples" / "monorepo"
    calls = list(pushing_calls(WorkTree(example)))
    assert calls, "the example's ci.yml pushes images"
    text = (example / "pyproject.toml").read_text()
    images = [line.split('"')[1] for line in text.splitlines() if line.startswith("image = ")]
    assert images
    assert {image_registry(i) for i in images} == {c.registry for c in calls}
