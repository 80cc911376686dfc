"""`plan` on a real repository: root-context Compose services selected by the files their
Dockerfiles read, and `--explain` naming the Dockerfile line that selected each image."""

from __future__ import annotations

import pytest
from support import GitRepo

from tiered_ci.cli import main

COMPOSE = """\
services:
  flags:
    build:
      context: .
      dockerfile: ${FLAGS_DOCKERFILE}
      args:
        AGENT_VERSION: ${AGENT_VERSION}
  ads:
    build:
      context: .
      dockerfile: src/ads/Dockerfile
"""

FLAGS = """\
FROM scratch AS build
ARG MIX_ENV=prod
ARG AGENT_VERSION
ADD https://example.invalid/v$AGENT_VERSION/agent.jar /agent.jar
COPY src/flags/config/${MIX_ENV}.exs /config/
COPY src/flags/lib /lib
"""

ADS = """\
FROM scratch
COPY src/ads/ /app/
COPY pb/ /proto/
"""


@pytest.fixture
def demo(repo: GitRepo) -> GitRepo:
    repo.write_many(
        {
            "pyproject.toml": '[tool.tiered-ci]\nservices-from = "compose"\nunmapped = "ignore"\n',
            "compose.yaml": COMPOSE,
            ".env": "FLAGS_DOCKERFILE=src/flags/Dockerfile\nAGENT_VERSION=2.1\n",
            ".dockerignore": "src/*/README.md\n",
            "src/flags/Dockerfile": FLAGS,
            "src/flags/config/prod.exs": "prod\n",
            "src/flags/config/dev.exs": "dev\n",
            "src/flags/lib/a.ex": "a\n",
            "src/flags/README.md": "r\n",
            "src/ads/Dockerfile": ADS,
            "src/ads/Main.java": "class Main {}\n",
            "pb/demo.proto": "syntax = 'proto3';\n",
        }
    )
    repo.commit("demo")
    return repo


def plan_text(repo: GitRepo, base: str, capsys: pytest.CaptureFixture[str]) -> str:
    argv = ["plan", "--format", "text", "--explain", "--repo", str(repo.path), "--base", base]
    assert main(argv) == 0
    return capsys.readouterr().out


def services_line(out: str) -> str:
    return next(line for line in out.splitlines() if line.strip().startswith("services "))


@pytest.mark.critical
def test_only_the_image_whose_read_files_changed_is_selected_and_explained(
    demo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    base = demo.head()
    demo.write("src/flags/config/prod.exs", "prod 2\n")
    demo.write("src/flags/config/dev.exs", "dev 2\n")  # MIX_ENV=prod: not read
    demo.write("src/ads/README.md", "ignored by .dockerignore\n")
    demo.commit("config")

    out = plan_text(demo, base, capsys)

    assert services_line(out).split() == ["services", "flags"]
    assert (
        "  + service:flags: src/flags/config/prod.exs (modified) matches "
        "services.flags.copy[0], read by src/flags/Dockerfile:5: "
        "COPY src/flags/config/${MIX_ENV}.exs /config/"
    ) in out


def test_a_shared_folder_selects_every_image_that_copies_it(
    demo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    base = demo.head()
    demo.write("pb/demo.proto", "syntax = 'proto3'; // 2\n")
    demo.commit("proto")

    out = plan_text(demo, base, capsys)

    assert services_line(out).split() == ["services", "ads"]
    assert (
        "  + service:ads: pb/demo.proto (modified) matches services.ads.copy[1], "
        "read by src/ads/Dockerfile:3: COPY pb/ /proto/"
    ) in out


def test_a_changed_agent_url_is_a_changed_dockerfile(
    demo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    base = demo.head()
    demo.write("src/flags/Dockerfile", FLAGS.replace("agent.jar /", "agent-all.jar /"))
    demo.commit("agent")

    out = plan_text(demo, base, capsys)

    assert services_line(out).split() == ["services", "flags"]
    assert (
        "  + service:flags: src/flags/Dockerfile (modified) matches services.flags.dockerfile"
    ) in out
