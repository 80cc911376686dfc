"""Root-context services: build args from compose and the config, ignore-file precedence,
and the Dockerfile line each watched path comes from (read from real files)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tiered_ci import config
from tiered_ci.images import discover
from tiered_ci.images import watch as services
from tiered_ci.tree import WorkTree

FLAGS_DOCKERFILE = """\
FROM scratch AS build
ARG MIX_ENV=prod
ARG AGENT_VERSION
ADD https://example.invalid/v$AGENT_VERSION/agent.jar /agent.jar
COPY src/flags/config/config.exs src/flags/config/${MIX_ENV}.exs /config/
COPY src/flags/lib /lib
"""


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text), encoding="utf-8")


def watches(root: Path, files: dict[str, str]) -> dict[str, services.Watch]:
    write(root, files)
    cfg = discover.resolve(config.load(root), WorkTree(root))
    return discover.load_watches(cfg, WorkTree(root))


def claimed(watch: services.Watch, *paths: str) -> list[str]:
    return [p for p in paths if services.claims(watch, p) is not None]


PATHS = (
    "src/flags/config/prod.exs",
    "src/flags/config/dev.exs",
    "src/flags/config/test.exs",
    "src/flags/lib/a.ex",
    "src/other/x.py",
)


@pytest.mark.critical
def test_compose_build_args_resolve_sources_in_both_forms(tmp_path: Path) -> None:
    compose = """\
    services:
      mapping:
        build:
          context: .
          dockerfile: src/flags/Dockerfile
          args:
            MIX_ENV: ${ENVIRONMENT:-dev}
            AGENT_VERSION: "2.1"
      listed:
        build:
          context: .
          dockerfile: src/flags/Dockerfile
          args: ["MIX_ENV=test"]
      defaults:
        build:
          context: .
          dockerfile: src/flags/Dockerfile
    """
    found = watches(
        tmp_path,
        {
            "pyproject.toml": '[tool.tiered-ci]\nservices-from = "compose"\n',
            "compose.yaml": compose,
            "src/flags/Dockerfile": FLAGS_DOCKERFILE,
        },
    )
    every = "src/flags/config/config.exs", "src/flags/lib/a.ex"
    assert claimed(found["mapping"], *PATHS) == ["src/flags/config/dev.exs", every[1]]
    assert claimed(found["listed"], *PATHS) == ["src/flags/config/test.exs", every[1]]
    assert claimed(found["defaults"], *PATHS) == ["src/flags/config/prod.exs", every[1]]
    # a remote ADD does not widen the watch to the whole context
    assert found["defaults"].note == "3 COPY/ADD/mount sources in src/flags/Dockerfile"


def test_the_configs_args_are_the_build_args(tmp_path: Path) -> None:
    pyproject = """\
    [tool.tiered-ci.services.flags]
    context = "."
    dockerfile = "src/flags/Dockerfile"
    args = { MIX_ENV = "test" }
    """
    found = watches(
        tmp_path, {"pyproject.toml": pyproject, "src/flags/Dockerfile": FLAGS_DOCKERFILE}
    )
    assert claimed(found["flags"], *PATHS) == ["src/flags/config/test.exs", "src/flags/lib/a.ex"]


def test_an_unknown_value_widens_one_segment_not_the_context(tmp_path: Path) -> None:
    pyproject = """\
    [tool.tiered-ci.services.flags]
    context = "."
    dockerfile = "src/flags/Dockerfile"
    """
    dockerfile = FLAGS_DOCKERFILE.replace("ARG MIX_ENV=prod", "ARG MIX_ENV")
    found = watches(tmp_path, {"pyproject.toml": pyproject, "src/flags/Dockerfile": dockerfile})
    assert claimed(found["flags"], *PATHS) == list(PATHS[:4])


# --- ignore files: which one each builder reads --------------------------------------

ROOT_SERVICE = """\
[tool.tiered-ci.services.app]
context = "."
dockerfile = "app/Dockerfile"
"""


@pytest.mark.critical
@pytest.mark.parametrize(
    ("ignores", "excluded"),
    [
        # BuildKit reads app/Dockerfile.dockerignore instead of .dockerignore; buildah and
        # podman read .dockerignore: both must exclude the file
        ({"app/Dockerfile.dockerignore": "data\n", ".dockerignore": "data\n"}, True),
        ({".dockerignore": "data\n"}, True),
        # the per-Dockerfile file takes precedence: BuildKit sends data/ although
        # .dockerignore excludes it
        ({"app/Dockerfile.dockerignore": "other\n", ".dockerignore": "data\n"}, False),
        # buildah and podman read .containerignore first
        ({"app/Dockerfile.dockerignore": "data\n", ".containerignore": "data\n"}, True),
        ({".containerignore": "other\n", ".dockerignore": "data\n"}, False),
        # a builder without an ignore file sees everything
        ({"app/Dockerfile.dockerignore": "data\n"}, False),
    ],
)
def test_ignore_files_exclude_only_what_every_builder_leaves_out(
    tmp_path: Path, ignores: dict[str, str], excluded: bool
) -> None:
    files = {
        "pyproject.toml": ROOT_SERVICE,
        "app/Dockerfile": "FROM scratch\nCOPY . /app\n",
        **ignores,
    }
    watch = watches(tmp_path, files)["app"]
    assert (services.claims(watch, "data/big.csv") is None) is excluded


# --- the line behind a claim -------------------------------------------------------


def test_origin_names_the_dockerfile_line(tmp_path: Path) -> None:
    pyproject = """\
    [tool.tiered-ci.services.flags]
    context = "."
    dockerfile = "src/flags/Dockerfile"

    [tool.tiered-ci.services.own]
    context = "own"
    """
    found = watches(
        tmp_path,
        {
            "pyproject.toml": pyproject,
            "src/flags/Dockerfile": FLAGS_DOCKERFILE,
            "own/Dockerfile": "FROM scratch\nCOPY app /app\n",
        },
    )

    def origin(name: str, path: str) -> str | None:
        watch = found[name]
        rule = services.claims(watch, path)
        assert rule is not None
        return services.origin(watch, rule, path)

    assert origin("flags", "src/flags/lib/a.ex") == (
        "src/flags/Dockerfile:6: COPY src/flags/lib /lib"
    )
    assert origin("flags", "src/flags/config/prod.exs") == (
        "src/flags/Dockerfile:5: COPY src/flags/config/config.exs "
        "src/flags/config/${MIX_ENV}.exs /config/"
    )
    assert origin("flags", "src/flags/Dockerfile") is None  # the Dockerfile itself
    # a service's own folder is watched whole; the line is the COPY that reads the path
    assert origin("own", "own/app/m.py") == "own/Dockerfile:2: COPY app /app"
    assert origin("own", "own/notes.txt") is None


@pytest.mark.critical
def test_an_arg_the_build_machine_decides_is_unknown(tmp_path: Path) -> None:
    # `- MIX_ENV` (bare) and `${UNSET}` take their value from the environment of whoever
    # runs the build: the default in the Dockerfile may not be what it copies.
    compose = """\
    services:
      bare:
        build:
          context: .
          dockerfile: src/flags/Dockerfile
          args: ["MIX_ENV"]
      unset:
        build:
          context: .
          dockerfile: src/flags/Dockerfile
          args:
            MIX_ENV: ${NOT_IN_DOTENV}
      overridden:
        build:
          context: .
          dockerfile: src/flags/Dockerfile
          args:
            MIX_ENV: ${NOT_IN_DOTENV}
    """
    override = """\
    services:
      overridden:
        build:
          args:
            MIX_ENV: test
    """
    found = watches(
        tmp_path,
        {
            "pyproject.toml": '[tool.tiered-ci]\nservices-from = "compose"\n',
            "compose.yaml": compose,
            "compose.override.yaml": override,
            "src/flags/Dockerfile": FLAGS_DOCKERFILE,
        },
    )
    every_config = ["src/flags/config/prod.exs", "src/flags/config/dev.exs"]
    every_config += ["src/flags/config/test.exs", "src/flags/lib/a.ex"]
    assert claimed(found["bare"], *PATHS) == every_config
    assert claimed(found["unset"], *PATHS) == every_config
    # a later compose file that sets the value makes it known again
    assert claimed(found["overridden"], *PATHS) == ["src/flags/config/test.exs", PATHS[3]]


def test_a_later_bare_arg_reopens_a_value_an_earlier_file_set() -> None:
    from tiered_ci.images.compose import ComposeBuild  # noqa: PLC0415 - this test only

    merged = ComposeBuild("a", args={"X": "1", "Y": "2"}).overlay(
        ComposeBuild("b", open_args=("X",))
    )
    assert (merged.args, merged.open_args) == ({"Y": "2"}, ("X",))
    closed = merged.overlay(ComposeBuild("c", args={"X": "3"}))
    assert (closed.args, closed.open_args) == ({"Y": "2", "X": "3"}, ())


def test_check_config_notes_a_source_read_wider(tmp_path: Path) -> None:
    pyproject = """\
    [tool.tiered-ci.services.flags]
    context = "."
    dockerfile = "src/flags/Dockerfile"
    """
    dockerfile = FLAGS_DOCKERFILE.replace("ARG MIX_ENV=prod", "ARG MIX_ENV")
    write(tmp_path, {"pyproject.toml": pyproject, "src/flags/Dockerfile": dockerfile})
    cfg = config.load(tmp_path)
    note = (
        "services.flags: watches 4 COPY/ADD/mount sources in src/flags/Dockerfile (line 5: "
        "src/flags/config/${MIX_ENV}.exs as src/flags/config/*.exs, "
        "src/flags/config/*/**/*.exs: a variable's value is not known)"
    )
    assert discover.describe(cfg, WorkTree(tmp_path)) == [note]
