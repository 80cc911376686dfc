"""Services discovered from compose files and merged with [tool.tiered-ci.services]."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tiered_ci import config
from tiered_ci.errors import ConfigError
from tiered_ci.images import discover as services
from tiered_ci.images import watch
from tiered_ci.model import Service
from tiered_ci.tree import WorkTree

COMPOSE = """\
services:
  api:
    build: ./services/api
    image: ghcr.io/acme/api
  web:
    build:
      context: services/web
      dockerfile: docker/Containerfile
      target: runtime
      args:
        VERSION: 2
        DEBUG: false
        FROM_ENV:
  worker:
    build:
      context: .
      dockerfile: services/worker/Dockerfile
      args: ["MODE=batch", "PASSED_THROUGH"]
  db:
    image: postgres:16
"""


def found_services(cfg: config.Config, root: Path) -> dict[str, Service]:
    return services.discover(cfg, WorkTree(root))[0]


def load(root: Path, pyproject: str, files: dict[str, str]) -> config.Config:
    for rel, text in {"pyproject.toml": pyproject, **files}.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text), encoding="utf-8")
    return config.load(root)


@pytest.mark.critical
def test_compose_build_sections_become_services(tmp_path: Path) -> None:
    cfg = load(tmp_path, '[tool.tiered-ci]\nservices-from = "compose"\n', {"compose.yaml": COMPOSE})
    found = found_services(cfg, tmp_path)
    assert found == {
        "api": Service("api", "services/api", "services/api/Dockerfile", "ghcr.io/acme/api"),
        "web": Service(
            "web",
            "services/web",
            "services/web/docker/Containerfile",
            "web",
            target="runtime",
            args={"VERSION": "2", "DEBUG": "false"},
            open_args=("FROM_ENV",),
        ),
        "worker": Service(
            "worker",
            ".",
            "services/worker/Dockerfile",
            "worker",
            args={"MODE": "batch"},
            open_args=("PASSED_THROUGH",),
        ),
    }


def test_explicit_keys_win_key_by_key(tmp_path: Path) -> None:
    pyproject = """\
        [tool.tiered-ci]
        services-from = "compose"
        [tool.tiered-ci.services.web]
        image = "localhost/web"
        paths = ["libs/ui/**"]
        depends-on = ["api"]
        [tool.tiered-ci.services.extra]
        context = "tools/extra"
    """
    cfg = load(tmp_path, pyproject, {"docker-compose.yml": COMPOSE})
    found = found_services(cfg, tmp_path)
    web = found["web"]
    assert (web.image, web.paths, web.depends_on) == ("localhost/web", ("libs/ui/**",), ("api",))
    assert (web.context, web.dockerfile, web.target) == (
        "services/web",
        "services/web/docker/Containerfile",
        "runtime",
    )
    assert list(found) == ["api", "web", "worker", "extra"]
    assert found["extra"].dockerfile == "tools/extra/Dockerfile"


def test_resolve_feeds_the_merged_services_to_the_watches(tmp_path: Path) -> None:
    cfg = load(tmp_path, '[tool.tiered-ci]\nservices-from = "compose"\n', {"compose.yaml": COMPOSE})
    resolved = services.resolve(cfg, WorkTree(tmp_path))
    assert list(resolved.services) == ["api", "web", "worker"]
    watches = services.load_watches(resolved, WorkTree(tmp_path))
    assert (
        watch.claims(watches["web"], "services/web/docker/Containerfile")
        == "services.web.dockerfile"
    )


def test_compose_in_a_subfolder_resolves_paths_from_its_folder(tmp_path: Path) -> None:
    compose = "services:\n  api:\n    build:\n      context: ../services/api\n      dockerfile: Dockerfile.prod\n"
    cfg = load(
        tmp_path,
        '[tool.tiered-ci]\nservices-from = ["deploy/compose.yml"]\n',
        {"deploy/compose.yml": compose},
    )
    assert found_services(cfg, tmp_path)["api"].dockerfile == "services/api/Dockerfile.prod"


def test_later_compose_files_override_earlier_ones(tmp_path: Path) -> None:
    base = (
        "services:\n  api:\n    build:\n      context: services/api\n      args: {A: '1', B: '1'}\n"
    )
    override = "services:\n  api:\n    build:\n      target: dev\n      args: {B: '2'}\n"
    cfg = load(
        tmp_path,
        '[tool.tiered-ci]\nservices-from = ["compose.yaml", "compose.override.yaml"]\n',
        {"compose.yaml": base, "compose.override.yaml": override},
    )
    api = found_services(cfg, tmp_path)["api"]
    assert (api.context, api.target, dict(api.args)) == (
        "services/api",
        "dev",
        {"A": "1", "B": "2"},
    )


def test_depends_on_may_name_a_compose_service(tmp_path: Path) -> None:
    pyproject = '[tool.tiered-ci]\nservices-from = "compose"\n[tool.tiered-ci.services.web]\ndepends-on = ["api"]\n'
    cfg = load(tmp_path, pyproject, {"compose.yaml": COMPOSE})
    assert found_services(cfg, tmp_path)["web"].depends_on == ("api",)


@pytest.mark.parametrize(
    ("pyproject", "files", "message"),
    [
        (
            '[tool.tiered-ci]\nservices-from = "compose"\n[tool.tiered-ci.services.web]\ndepends-on = ["nope"]\n',
            {"compose.yaml": COMPOSE},
            "tool.tiered-ci.services.web.depends-on: unknown service 'nope'; known: api, web, worker",
        ),
        (
            '[tool.tiered-ci]\nservices-from = "compose"\n',
            {},
            (
                'tool.tiered-ci.services-from = "compose": none of compose.yaml, compose.yml, '
                "docker-compose.yaml, docker-compose.yml is in {root}; add a compose file or remove services-from"
            ),
        ),
        (
            '[tool.tiered-ci]\nservices-from = ["ops/compose.yml"]\n',
            {},
            (
                "tool.tiered-ci.services-from: ops/compose.yml: no such file in {root}; "
                "fix the path or remove it from the list"
            ),
        ),
        (
            '[tool.tiered-ci]\nservices-from = "compose"\n',
            {"compose.yaml": "services:\n  api:\n    build: [\n"},
            (
                "compose.yaml: not valid YAML (line 4, column 1): expected the node content, "
                "but found '<stream end>'; fix the compose file or remove services-from"
            ),
        ),
        (
            '[tool.tiered-ci]\nservices-from = "compose"\n',
            {"compose.yaml": "- a list\n"},
            "compose.yaml: expected a compose file (a mapping with `services:`)",
        ),
    ],
)
def test_bad_compose_input_names_the_file_or_key(
    tmp_path: Path, pyproject: str, files: dict[str, str], message: str
) -> None:
    cfg = load(tmp_path, pyproject, files)
    with pytest.raises(ConfigError) as info:
        found_services(cfg, tmp_path)
    assert str(info.value) == message.format(root=tmp_path)


@pytest.mark.parametrize(
    ("compose", "why"),
    [
        (
            "services:\n  api:\n    build: ${API_DIR}\n",
            "compose.yaml: services.api.build: variable API_DIR is not set (in .env or the environment)",
        ),
        (
            "services:\n  api:\n    build:\n      dockerfile_inline: FROM scratch\n",
            "compose.yaml: services.api.build.dockerfile_inline: an inline Dockerfile is not read by tiered-ci",
        ),
        (
            "services:\n  api:\n    build: ../elsewhere\n",
            "compose.yaml: services.api.build.context: ../elsewhere is outside the repository",
        ),
        (
            "services:\n  api:\n    build: https://example.invalid/repo.git\n",
            (
                "compose.yaml: services.api.build.context: a remote context "
                "(https://example.invalid/repo.git) cannot be watched"
            ),
        ),
    ],
)
def test_what_cannot_be_resolved_watches_the_whole_repository(
    tmp_path: Path, compose: str, why: str
) -> None:
    cfg = load(tmp_path, '[tool.tiered-ci]\nservices-from = "compose"\n', {"compose.yaml": compose})
    resolved = services.resolve(cfg, WorkTree(tmp_path), environ={})
    assert resolved.services["api"].unresolved == why
    watches = services.load_watches(resolved, WorkTree(tmp_path))
    assert watch.claims(watches["api"], "anything/at/all.py") == "services.api.unresolved"
    assert watches["api"].note == f"the whole repository ({why})"


def test_an_explicit_context_silences_the_variable_error(tmp_path: Path) -> None:
    pyproject = (
        '[tool.tiered-ci]\nservices-from = "compose"\n'
        '[tool.tiered-ci.services.api]\ncontext = "services/api"\ndockerfile = "services/api/Dockerfile"\n'
    )
    cfg = load(tmp_path, pyproject, {"compose.yaml": "services:\n  api:\n    build: ${API_DIR}\n"})
    assert found_services(cfg, tmp_path)["api"].context == "services/api"


def test_without_services_from_the_config_is_used_as_is(tmp_path: Path) -> None:
    cfg = load(
        tmp_path, '[tool.tiered-ci.services.api]\ncontext = "api"\n', {"compose.yaml": COMPOSE}
    )
    assert list(found_services(cfg, tmp_path)) == ["api"]
    assert services.resolve(cfg, WorkTree(tmp_path)) is cfg
