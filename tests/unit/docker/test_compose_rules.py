"""Compose as Compose reads it (issue 13, item 16): interpolation, `.env`, the default file
set, `include:`, `extends:`, profiles, and `.env` changes compared between base and head."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import TOOL_GROUPS, GitRepo

from tiered_ci import config
from tiered_ci.cli import main
from tiered_ci.images import discover
from tiered_ci.images.interpolation import Unresolved, interpolate, parse_env_file
from tiered_ci.tree import GitTree, WorkTree

ENV = {"SET": "value", "EMPTY": ""}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("${SET}", "value"),
        ("$SET/x", "value/x"),
        ("pre-${SET}-post", "pre-value-post"),
        ("${UNSET:-default}", "default"),
        ("${EMPTY:-default}", "default"),
        ("${EMPTY-default}", ""),
        ("${UNSET-default}", "default"),
        ("${SET:+replacement}", "replacement"),
        ("${EMPTY:+replacement}", ""),
        ("${EMPTY+replacement}", "replacement"),
        ("${UNSET+replacement}", ""),
        ("$$SET", "$SET"),
        ("$${SET}", "${SET}"),
        ("${UNSET:-${SET}}", "value"),
        ("${UNSET:-${ALSO_UNSET:-deep}}", "deep"),
        ("${SET:-${UNSET:?never evaluated}}", "value"),
        ("cost: 5$", "cost: 5$"),
        ("$1 stays", "$1 stays"),
        ("${UNSET}", ""),  # Compose: an empty string (with a warning)
    ],
)
def test_interpolation_follows_the_compose_spec(template: str, expected: str) -> None:
    assert interpolate(template, ENV.get) == expected


@pytest.mark.parametrize(
    ("template", "strict", "message"),
    [
        ("${UNSET:?set it}", False, "required variable UNSET is missing a value: set it"),
        ("${EMPTY:?}", False, "required variable EMPTY is missing a value: EMPTY"),
        ("${UNSET?gone}", False, "required variable UNSET is missing a value: gone"),
        ("${UNSET}", True, "variable UNSET is not set (in .env or the environment)"),
        ("${SET", False, "invalid template '${SET': '${SET' is not closed"),
        ("${SET/a/b}", False, "invalid template '${SET/a/b}': '${SET' has an unsupported '/'"),
    ],
)
def test_what_cannot_be_interpolated_says_why(template: str, strict: bool, message: str) -> None:
    with pytest.raises(Unresolved) as info:
        interpolate(template, ENV.get, strict=strict)
    assert str(info.value) == message


def test_env_file_syntax() -> None:
    text = (
        "# a comment\n"
        "export PLAIN=1\n"
        "SPACED = two words  # inline comment\n"
        "SINGLE='literal ${PLAIN} \\n'\n"
        'DOUBLE="line\\nnext ${PLAIN} \\$PLAIN"\n'
        "USES=${PLAIN}-${FROM_ENV}\n"
        'MULTI="a\nb"\n'
        "FROM_ENV\n"
        "not a pair\n"
    )
    assert parse_env_file(text, {"FROM_ENV": "e"}) == {
        "PLAIN": "1",
        "SPACED": "two words",
        "SINGLE": "literal ${PLAIN} \\n",
        "DOUBLE": "line\nnext 1 $PLAIN",
        "USES": "1-e",
        "MULTI": "a\nb",
        "FROM_ENV": "e",
    }


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")


def compose_services(
    root: Path, files: dict[str, str], environ: dict[str, str] | None = None
) -> dict[str, config.Service]:
    write(root, {"pyproject.toml": '[tool.tiered-ci]\nservices-from = "compose"\n', **files})
    services, _ = discover.discover(config.load(root), WorkTree(root), environ or {})
    return services


def test_env_file_and_environment_interpolate_build_values(tmp_path: Path) -> None:
    found = compose_services(
        tmp_path,
        {
            ".env": "API_DIR=services/api\nTAG=from-dotenv\nDF=Containerfile\n",
            "compose.yaml": (
                "services:\n  api:\n    image: ghcr.io/acme/api-${TAG}\n    build:\n"
                "      context: ./${API_DIR}\n      dockerfile: ${DF:-Dockerfile}\n"
                "      args: {VERSION: '${VERSION:-0}', LITERAL: '$$HOME'}\n"
            ),
        },
        environ={"TAG": "from-env", "VERSION": "7"},
    )
    api = found["api"]
    assert (api.context, api.dockerfile, api.image) == (
        "services/api",
        "services/api/Containerfile",
        "ghcr.io/acme/api-from-env",  # the environment wins over .env
    )
    assert dict(api.args) == {"VERSION": "7", "LITERAL": "$HOME"}


@pytest.mark.parametrize(
    ("base", "override"),
    [
        ("compose.yaml", "compose.override.yaml"),
        ("docker-compose.yml", "docker-compose.override.yml"),
    ],
)
def test_the_default_file_set_includes_the_override_file(
    tmp_path: Path, base: str, override: str
) -> None:
    found = compose_services(
        tmp_path,
        {
            base: "services:\n  api:\n    build:\n      context: api\n      args: {A: '1'}\n",
            override: (
                "services:\n  api:\n    build:\n      target: dev\n      args: {B: '2'}\n"
                "  tool:\n    build: tools\n"
            ),
        },
    )
    assert (found["api"].target, dict(found["api"].args)) == ("dev", {"A": "1", "B": "2"})
    assert found["tool"].context == "tools"


def test_compose_file_from_dotenv_picks_the_files(tmp_path: Path) -> None:
    found = compose_services(
        tmp_path,
        {
            ".env": "COMPOSE_FILE=deploy/base.yml:deploy/ci.yml\n",
            "compose.yaml": "services:\n  ignored:\n    build: nowhere\n",
            "deploy/base.yml": "services:\n  api:\n    build: ../api\n",
            # Relative paths of every listed file resolve from the first file's folder.
            "deploy/ci.yml": "services:\n  api:\n    build:\n      dockerfile: ../docker/ci.Dockerfile\n",
        },
    )
    assert list(found) == ["api"]
    assert (found["api"].context, found["api"].dockerfile) == ("api", "docker/ci.Dockerfile")


def test_include_loads_each_entry_as_its_own_project(tmp_path: Path) -> None:
    found = compose_services(
        tmp_path,
        {
            "compose.yaml": (
                "include:\n  - billing/compose.yaml\n"
                "  - path: shop/compose.yaml\n    env_file: shop/ci.env\n"
                "services:\n  web:\n    build: web\n"
            ),
            "billing/.env": "BILLING_DF=Dockerfile.billing\n",
            "billing/compose.yaml": (
                "services:\n  billing:\n    build:\n      context: .\n"
                "      dockerfile: ${BILLING_DF}\n"
            ),
            "shop/ci.env": "SHOP_DIR=app\n",
            "shop/compose.yaml": "services:\n  shop:\n    build: ./${SHOP_DIR}\n",
        },
    )
    assert {n: (s.context, s.dockerfile) for n, s in found.items()} == {
        "billing": ("billing", "billing/Dockerfile.billing"),
        "shop": ("shop/app", "shop/app/Dockerfile"),
        "web": ("web", "web/Dockerfile"),
    }


def test_extends_merges_the_base_service_from_this_or_another_file(tmp_path: Path) -> None:
    found = compose_services(
        tmp_path,
        {
            "common/services.yml": (
                "services:\n  python:\n    build:\n      context: ./py\n"
                "      args: {PY: '3.12', MODE: base}\n"
            ),
            "compose.yaml": (
                "services:\n"
                "  api:\n    extends: {file: common/services.yml, service: python}\n"
                "    build:\n      args: {MODE: api}\n"
                "  worker:\n    extends:\n      service: api\n    build:\n      target: worker\n"
            ),
        },
    )
    api, worker = found["api"], found["worker"]
    assert (api.context, dict(api.args)) == ("common/py", {"PY": "3.12", "MODE": "api"})
    assert (worker.context, worker.target, dict(worker.args)) == (
        "common/py",
        "worker",
        {"PY": "3.12", "MODE": "api"},
    )


def test_services_in_profiles_are_still_discovered(tmp_path: Path) -> None:
    found = compose_services(
        tmp_path,
        {
            "compose.yaml": (
                "services:\n  api:\n    build: api\n"
                "  debug:\n    profiles: [debug]\n    build: tools/debug\n"
                "  db:\n    image: postgres:16\n"
            )
        },
    )
    assert list(found) == ["api", "debug"]


@pytest.mark.parametrize(
    ("compose", "why"),
    [
        (
            "services:\n  api:\n    build:\n      context: .\n      dockerfile: ${API_DF:?set API_DF}\n",
            "compose.yaml: services.api.build: required variable API_DF is missing a value: set API_DF",
        ),
        (
            "services:\n  api:\n    extends: {file: missing.yml, service: base}\n",
            "compose.yaml: services.api.extends.file: missing.yml is not in the repository",
        ),
        (
            "services:\n  api:\n    extends: {service: api}\n    build: .\n",
            "compose.yaml: services.api.extends: a cycle",
        ),
    ],
)
def test_unresolvable_services_are_kept_with_a_reason(
    tmp_path: Path, compose: str, why: str
) -> None:
    found = compose_services(tmp_path, {"compose.yaml": compose})
    assert found["api"].unresolved == why


# --- whole repositories through the CLI ---------------------------------------------------

DEMO_COMPOSE = """\
services:
  frontend:
    build:
      context: .
      dockerfile: ${FRONTEND_DOCKERFILE}
  cart:
    build:
      context: .
      dockerfile: ${CART_DOCKERFILE}
      args:
        RUNTIME: ${CART_RUNTIME:-python}
  email:
    profiles: [mail]
    build:
      context: .
      dockerfile: ${EMAIL_DOCKERFILE}
  redis:
    image: redis:7
"""
DEMO_ENV = """\
FRONTEND_DOCKERFILE=src/frontend/Dockerfile
CART_DOCKERFILE=src/cart/Dockerfile
EMAIL_DOCKERFILE=src/email/Dockerfile
CART_RUNTIME=python
"""


@pytest.fixture
def demo(tmp_path: Path) -> GitRepo:
    """A demo monorepo: every service builds from the repository root, Dockerfile paths
    come from `.env`."""
    repo = GitRepo(tmp_path / "demo")
    files = {
        "compose.yaml": DEMO_COMPOSE,
        ".env": DEMO_ENV,
        "pyproject.toml": TOOL_GROUPS + '[tool.tiered-ci]\nservices-from = "compose"\n',
        "README.md": "# demo\n",
    }
    for name in ("frontend", "cart", "email"):
        files[f"src/{name}/Dockerfile"] = f"FROM scratch\nCOPY src/{name} /app\n"
        files[f"src/{name}/main.py"] = "x = 1\n"
    repo.write_many(files)
    repo.commit("demo")
    repo.branch("feature")
    return repo


def plan(capsys: pytest.CaptureFixture[str], repo: GitRepo, *args: str) -> dict[str, object]:
    code = main(["plan", "--format", "json", "--repo", str(repo.path), "--base", "main", *args])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    result: dict[str, object] = json.loads(captured.out)
    return result


@pytest.mark.critical
def test_demo_repo_check_config_and_plan_work_unchanged(
    demo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check-config", "--repo", str(demo.path)]) == 0
    assert capsys.readouterr().out.endswith("OK (0 domains, 3 services, 0 tiers)\n")
    demo.write("src/cart/main.py", "x = 2\n")
    demo.commit("cart")
    result = plan(capsys, demo)
    assert (result["mode"], result["services"]) == ("partial", ["cart"])


@pytest.mark.critical
def test_an_env_change_selects_exactly_the_services_whose_build_values_changed(
    demo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    demo.write(".env", DEMO_ENV.replace("CART_RUNTIME=python", "CART_RUNTIME=pypy"))
    demo.commit("cart runtime")
    result = plan(capsys, demo)
    assert result["services"] == ["cart"]
    reasons = result["reasons"]
    assert isinstance(reasons, list)
    assert [(r["target"], r["path"], r["rule"]) for r in reasons if r["path"]] == [
        ("service:cart", ".env", "services.cart.compose")
    ]


def test_an_env_change_that_changes_no_build_value_selects_no_service(
    demo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    demo.write(".env", DEMO_ENV + "UNUSED=1\n")
    demo.commit("unused variable")
    assert plan(capsys, demo)["services"] == []


def test_a_compose_edit_selects_only_the_service_it_changes(
    demo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    demo.write("compose.yaml", DEMO_COMPOSE.replace("profiles: [mail]", "profiles: [mail, ops]"))
    demo.commit("profiles only")
    assert plan(capsys, demo)["services"] == []
    demo.write(
        "compose.yaml",
        DEMO_COMPOSE.replace("${FRONTEND_DOCKERFILE}", "src/frontend/Dockerfile.prod"),
    )
    demo.write("src/frontend/Dockerfile.prod", "FROM scratch\n")
    demo.commit("frontend uses another Dockerfile")
    assert plan(capsys, demo)["services"] == ["frontend"]


def test_a_new_override_file_is_compared_too(
    demo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    demo.write("compose.override.yaml", "services:\n  email:\n    build:\n      target: dev\n")
    demo.commit("override email")
    assert plan(capsys, demo)["services"] == ["email"]


@pytest.mark.critical
def test_an_unset_path_variable_watches_the_whole_repository_never_exit_2(
    demo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    demo.write(".env", DEMO_ENV.replace("EMAIL_DOCKERFILE=src/email/Dockerfile\n", ""))
    demo.commit("email Dockerfile from the CI environment")
    demo.write("README.md", "# demo v2\n")
    demo.commit("docs")
    assert main(["check-config", "--repo", str(demo.path)]) == 0
    out = capsys.readouterr().out
    why = (
        "compose.yaml: services.email.build: variable EMAIL_DOCKERFILE is not set "
        "(in .env or the environment)"
    )
    assert f"note: services.email: watches the whole repository ({why})" in out
    result = plan(capsys, demo, "--head", "HEAD", "--base", "HEAD~1")
    assert result["services"] == ["email"]
    code = main(["build", "--repo", str(demo.path), "--services", "email", "--dry-run"])
    assert code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"tiered-ci build: error: service 'email': cannot build: {why}; set the variable, "
        "or set context and dockerfile in [tool.tiered-ci.services.email]"
    )


def test_compose_and_env_are_read_from_the_head_rev(demo: GitRepo) -> None:
    head = demo.head()
    demo.write(".env", "")
    cfg = config.load(demo.path)
    at_head, _ = discover.discover(cfg, GitTree(demo.path, head), {})
    in_work_tree, _ = discover.discover(cfg, WorkTree(demo.path), {})
    assert at_head["cart"].dockerfile == "src/cart/Dockerfile"
    assert in_work_tree["cart"].unresolved
