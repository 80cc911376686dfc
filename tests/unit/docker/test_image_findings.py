"""Regressions for the image findings of issue 13 (W4, W5, W6, W7, S5), on real git repos.

Each test is the repository of `shared/repro/<finding>.sh`, run through the
CLI in-process, asserting the right outcome.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import TOOL_GROUPS, GitRepo

from tiered_ci.cli import main


def plan(capsys: pytest.CaptureFixture[str], repo: GitRepo, *args: str) -> dict[str, object]:
    code = main(["plan", "--format", "json", "--repo", str(repo.path), *args])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    result: dict[str, object] = json.loads(captured.out)
    return result


def service_rules(result: dict[str, object]) -> list[str]:
    reasons = result["reasons"]
    assert isinstance(reasons, list)
    return [r["rule"] for r in reasons if str(r["target"]).startswith("service:")]


ROOT_SERVICE = """\
[tool.tiered-ci.domains.all]
paths = ["**"]
[tool.tiered-ci.services.w]
context = "."
dockerfile = "svc/Dockerfile"
"""


@pytest.fixture
def linked(tmp_path: Path) -> GitRepo:
    """W4: `vendor` links to libs/common; the service's context is the repository root."""
    repo = GitRepo(tmp_path / "r")
    repo.write_many(
        {
            "libs/common/a.py": "v1\n",
            "libs/other/b.py": "b\n",
            "svc/Dockerfile": "FROM scratch\nCOPY vendor /c\n",
            "pyproject.toml": ROOT_SERVICE,
        }
    )
    (repo.path / "vendor").symlink_to("libs/common")
    repo.commit("base")
    repo.branch("f")
    return repo


@pytest.mark.critical
def test_w4_a_change_behind_a_symlinked_copy_source_selects_the_service(
    linked: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    linked.write("libs/common/a.py", "v2\n")
    linked.commit("change the symlink target")
    result = plan(capsys, linked, "--base", "main")
    assert result["services"] == ["w"]
    assert service_rules(result) == ["services.w.copy[0].symlink"]


def test_w4_files_no_link_leads_to_stay_unwatched(
    linked: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    linked.write("libs/other/b.py", "b2\n")
    linked.commit("not copied")
    assert plan(capsys, linked, "--base", "main")["services"] == []


@pytest.mark.parametrize(
    ("links", "dockerfile", "changed"),
    [
        # A source below a linked folder.
        ({"vendor": "libs"}, "COPY vendor/common /c\n", "libs/common/a.py"),
        # A link chain, and a `..` that stops at the context root (as builders resolve it).
        ({"vendor": "alias", "alias": "../../libs/common"}, "COPY vendor /c\n", "libs/common/a.py"),
        # A wildcard that matches a link.
        ({"vend-1": "libs/common"}, "COPY vend-* /c/\n", "libs/common/a.py"),
        # An absolute link is the context root's path too.
        ({"vendor": "/libs/common"}, "COPY vendor /c\n", "libs/common/a.py"),
    ],
)
def test_w4_links_resolve_inside_the_context(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    links: dict[str, str],
    dockerfile: str,
    changed: str,
) -> None:
    repo = GitRepo(tmp_path / "r")
    repo.write_many(
        {
            "libs/common/a.py": "v1\n",
            "svc/Dockerfile": f"FROM scratch\n{dockerfile}",
            "pyproject.toml": ROOT_SERVICE,
        }
    )
    for link, target in links.items():
        (repo.path / link).symlink_to(target)
    repo.commit("base")
    repo.branch("f")
    repo.write(changed, "v2\n")
    repo.commit("change behind the link")
    assert plan(capsys, repo, "--base", "main")["services"] == ["w"]


def test_w4_a_symlink_loop_watches_the_whole_context(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitRepo(tmp_path / "r")
    repo.write_many(
        {"svc/Dockerfile": "FROM scratch\nCOPY loop /c\n", "pyproject.toml": ROOT_SERVICE}
    )
    (repo.path / "loop").symlink_to("loop")
    repo.commit("base")
    repo.branch("f")
    repo.write("anything/else.py", "x\n")
    repo.commit("change")
    result = plan(capsys, repo, "--base", "main")
    assert service_rules(result) == ["services.w.context"]


@pytest.mark.critical
def test_w5_additional_contexts_are_watched_and_check_config_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitRepo(tmp_path / "r")
    repo.write_many(
        {
            "libs/common/a.py": "a\n",
            "libs/unused/u.py": "u\n",
            "svc/app.py": "x\n",
            "tests/test_app.py": "def test_app() -> None: ...\n",
            "svc/Dockerfile": "FROM scratch\nCOPY --from=common . /common\nCOPY app.py /app.py\n",
            "compose.yaml": (
                "services:\n  w:\n    build:\n      context: svc\n"
                "      additional_contexts:\n        common: ./libs/common\n"
                "        unused: ./libs/unused\n"
            ),
            "pyproject.toml": (
                TOOL_GROUPS + '[tool.tiered-ci]\nservices-from = "compose"\n'
                '[tool.tiered-ci.domains.all]\npaths = ["**"]\ntests = ["tests"]\n'
            ),
        }
    )
    repo.commit("base")
    repo.branch("f")
    repo.write("libs/common/a.py", "b\n")
    repo.commit("change the additional context")
    result = plan(capsys, repo, "--base", "main")
    assert result["services"] == ["w"]
    assert service_rules(result) == ["services.w.additional_contexts.common[0]"]
    repo.write("libs/unused/u.py", "u2\n")  # a named context the Dockerfile never reads
    repo.commit("unused context")
    assert plan(capsys, repo, "--base", "HEAD~1")["services"] == []
    assert main(["check-config", "--repo", str(repo.path)]) == 0
    out = capsys.readouterr().out
    assert "note: services.w: watches the whole context svc; also watches libs/common/**" in out


def test_w5_a_dockerfile_that_cannot_be_read_watches_every_local_named_context(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitRepo(tmp_path / "r")
    repo.write_many(
        {
            "libs/common/a.py": "a\n",
            "svc/app.py": "x\n",
            "svc/Dockerfile": "FROM scratch\nCOPY --from=$CTX . /common\n",
            "compose.yaml": (
                "services:\n  w:\n    build:\n      context: svc\n"
                "      additional_contexts: [common=./libs/common, img=docker-image://alpine]\n"
            ),
            "pyproject.toml": '[tool.tiered-ci]\nservices-from = "compose"\n',
        }
    )
    repo.commit("base")
    repo.branch("f")
    repo.write("libs/common/a.py", "b\n")
    repo.commit("change")
    assert service_rules(plan(capsys, repo, "--base", "main")) == [
        "services.w.additional_contexts.common"
    ]


@pytest.mark.critical
def test_w6_colliding_bake_names_still_build_both_images(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitRepo(tmp_path / "r")
    repo.write_many(
        {
            "s1/Dockerfile": "FROM scratch\n",
            "s2/Dockerfile": "FROM scratch\n",
            "pyproject.toml": (
                '[tool.tiered-ci.services."a.b"]\ncontext = "s1"\nimage = "img-one"\n'
                '[tool.tiered-ci.services.a_b]\ncontext = "s2"\nimage = "img-two"\n'
            ),
        }
    )
    repo.commit("base")
    args = ["build", "--repo", str(repo.path), "--all", "--dry-run", "--builder", "docker"]
    assert main([*args, "--tag", "t1"]) == 0
    captured = capsys.readouterr()
    bake = json.loads(captured.err.split("bake file tiered-ci.bake.json:\n", 1)[1])
    images = sorted(tag for target in bake["target"].values() for tag in target["tags"])
    assert images == ["img-one:t1", "img-two:t1"]
    assert captured.out.split() == [
        *("docker", "buildx", "bake", "--file", "tiered-ci.bake.json", "--"),
        *bake["group"]["default"]["targets"],
    ]


@pytest.mark.critical
def test_s5_a_context_that_looks_like_an_option_is_passed_as_a_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
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
                'dockerfile = "svc/Dockerfile"\nimage = "localhost/repro-s5"\n'
            ),
        }
    )
    repo.commit("base")
    args = ["build", "--repo", str(repo.path), "--all", "--dry-run", "--builder", "buildah"]
    assert main([*args, "--tag", "t1"]) == 0
    assert capsys.readouterr().out.split() == [
        *("buildah", "bud", "-f", "./svc/Dockerfile", "-t", "localhost/repro-s5:t1"),
        *("--", f"./--iidfile={iid}"),
    ]


@pytest.fixture
def history(tmp_path: Path) -> tuple[GitRepo, str, str]:
    """W7: A (base), B on `feat` (changes api.toml), C on `other` (ignores api.toml)."""
    repo = GitRepo(tmp_path / "r")
    repo.write_many(
        {
            "src/a.py": "a = 1\n",
            "services/api/Dockerfile": "FROM scratch\nCOPY . /app\n",
            "services/api/api.toml": "x = 1\n",
            "pyproject.toml": (
                '[tool.tiered-ci.domains.src]\npaths = ["src/**"]\n'
                '[tool.tiered-ci.domains.services]\npaths = ["services/**"]\n'
                '[tool.tiered-ci.services.api]\ncontext = "services/api"\n'
            ),
        }
    )
    base = repo.commit("A")
    repo.branch("feat")
    repo.write("services/api/api.toml", "x = 2\n")
    head = repo.commit("B")
    repo.git.checkout("-q", "-b", "other", base)
    repo.write("services/api/.dockerignore", "api.toml\n")
    repo.write("pyproject.toml", '[tool.tiered-ci.domains.src]\npaths = ["src/**"]\n')
    repo.commit("C: ignore api.toml, drop the service")
    return repo, base, head


@pytest.mark.critical
def test_w7_head_rev_reads_its_own_config_and_ignore_files(
    history: tuple[GitRepo, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, base, head = history
    on_c = plan(capsys, repo, "--base", base, "--head", head)
    assert (on_c["services"], on_c["domains"]) == (["api"], ["services"])
    repo.branch("feat", create=False)
    assert plan(capsys, repo, "--base", base, "--head", head) == on_c


def test_w7_build_selects_from_the_head_rev_too(
    history: tuple[GitRepo, str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    repo, base, head = history
    args = ["build", "--repo", str(repo.path), "--base", base, "--head", head]
    assert main([*args, "--dry-run", "--builder", "buildah", "--tag", "t"]) == 0
    assert capsys.readouterr().out.split()[:2] == ["buildah", "bud"]


def test_a_copy_source_no_glob_can_express_widens_to_the_context(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitRepo(tmp_path / "r")
    repo.write_many(
        {"svc/Dockerfile": "FROM scratch\nCOPY [z-a] /c\n", "pyproject.toml": ROOT_SERVICE}
    )
    repo.commit("base")
    repo.branch("f")
    repo.write("any/file.py", "x\n")
    repo.commit("change")
    assert service_rules(plan(capsys, repo, "--base", "main")) == ["services.w.context"]


def test_check_config_flags_upper_case_names_and_untracked_named_contexts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitRepo(tmp_path / "r")
    repo.write_many(
        {
            "api/Dockerfile": "FROM scratch\n",
            "pyproject.toml": (
                '[tool.tiered-ci.services.Api]\ncontext = "api"\nimage = "api"\n'
                'additional-contexts = { common = "libs/common", base = "docker-image://alpine" }\n'
            ),
        }
    )
    repo.commit("base")
    assert main(["check-config", "--repo", str(repo.path)]) == 1
    out = capsys.readouterr().out.splitlines()
    source = f"{repo.path}/pyproject.toml"
    assert out[:2] == [
        (
            f"{source}: tool.tiered-ci.services.Api: 'Api' has upper-case letters, which Compose "
            "rejects in service names; rename it to 'api'"
        ),
        (
            f"{source}: tool.tiered-ci.services.Api.additional-contexts.common: 'libs/common' is "
            "not a tracked folder; fix the path or commit its files"
        ),
    ]


def test_a_service_image_context_is_built_in_the_same_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitRepo(tmp_path / "r")
    repo.write_many(
        {
            "base/Dockerfile": "FROM scratch\nCOPY b.txt /\n",
            "base/b.txt": "b\n",
            "app/Dockerfile": "FROM base\nCOPY a.txt /\n",
            "app/a.txt": "a\n",
            "compose.yaml": (
                "services:\n  base:\n    build: base\n"
                "  app:\n    build:\n      context: app\n"
                "      additional_contexts: {base: 'service:base'}\n"
            ),
            "pyproject.toml": '[tool.tiered-ci]\nservices-from = "compose"\n',
        }
    )
    repo.commit("base")
    args = ["build", "--repo", str(repo.path), "--services", "app", "--dry-run"]
    assert main([*args, "--builder", "buildah", "--tag", "t"]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        "buildah bud -f ./base/Dockerfile -t base:t -- ./base",
        (
            "buildah bud -f ./app/Dockerfile -t app:t --build-context "
            "base=docker-image://base:t -- ./app"
        ),
    ]
    assert "also building base: a build context of a service above" in captured.err
