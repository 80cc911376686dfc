"""Which changed files affect which service: context, .dockerignore, COPY narrowing, depends-on."""

from __future__ import annotations

from pathlib import Path

import pytest

from tiered_ci import config, mapping
from tiered_ci.changes import ChangedFile
from tiered_ci.images import discover
from tiered_ci.images import watch as services
from tiered_ci.images.dockerfile import IgnoreFile
from tiered_ci.mapping import Reason
from tiered_ci.tree import WorkTree


def cfg(table: dict[str, object], root: Path = Path("/repo")) -> config.Config:
    return config.parse(table, root=root)


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def claimed(watch: services.Watch, *paths: str) -> dict[str, str | None]:
    return {p: services.claims(watch, p) for p in paths}


API = config.Service(
    "api", "services/api", "services/api/Dockerfile", "api", paths=("libs/api/**",)
)


@pytest.mark.critical
def test_own_context_counts_whole_with_dockerfile_first() -> None:
    watch = discover.service_watch(API, shared=False, dockerfile=None)
    assert claimed(
        watch,
        "services/api/Dockerfile",
        "services/api/app/main.py",
        "services/api/.dockerignore",
        "libs/api/x.py",
        "services/apiary/x.py",
        "services/web/x.py",
    ) == {
        "services/api/Dockerfile": "services.api.dockerfile",
        "services/api/app/main.py": "services.api.context",
        "services/api/.dockerignore": "services.api.dockerignore",
        "libs/api/x.py": "services.api.paths[0]",
        "services/apiary/x.py": None,
        "services/web/x.py": None,
    }
    assert watch.note == "the whole context services/api"


@pytest.mark.critical
def test_dockerignore_removes_context_files_but_never_the_dockerfile_or_itself() -> None:
    ignore = IgnoreFile.parse("*\n!app\n**/*.pyc\nDockerfile\n.dockerignore\n")
    watch = discover.service_watch(API, shared=False, dockerfile=None, ignores=[ignore])
    assert claimed(
        watch,
        "services/api/app/main.py",
        "services/api/app/main.pyc",
        "services/api/README.md",
        "services/api/Dockerfile",
        "services/api/.dockerignore",
        "services/api/.containerignore",
        "services/api/Dockerfile.dockerignore",
    ) == {
        "services/api/app/main.py": "services.api.context",
        "services/api/app/main.pyc": None,
        "services/api/README.md": None,
        "services/api/Dockerfile": "services.api.dockerfile",
        "services/api/.dockerignore": "services.api.dockerignore",
        "services/api/.containerignore": "services.api.containerignore",
        "services/api/Dockerfile.dockerignore": "services.api.dockerignore",
    }


def test_extra_paths_are_not_filtered_by_the_ignore_file() -> None:
    service = config.Service(
        "api", "services/api", "services/api/Dockerfile", "api", paths=("services/api/docs/**",)
    )
    watch = discover.service_watch(
        service, shared=False, dockerfile=None, ignores=[IgnoreFile.parse("docs\n")]
    )
    assert services.claims(watch, "services/api/docs/a.md") == "services.api.paths[0]"


def test_a_path_is_ignored_only_when_every_ignore_file_excludes_it() -> None:
    # docker reads Dockerfile.dockerignore, podman .containerignore: watch what either sends.
    ignores = [IgnoreFile.parse("*.md\n"), IgnoreFile.parse("*.txt\n")]
    watch = discover.service_watch(API, shared=False, dockerfile=None, ignores=ignores)
    assert services.claims(watch, "services/api/a.md") == "services.api.context"
    both = [IgnoreFile.parse("*.md\n"), IgnoreFile.parse("*.md\n*.txt\n")]
    watch = discover.service_watch(API, shared=False, dockerfile=None, ignores=both)
    assert services.claims(watch, "services/api/a.md") is None


WORKER = config.Service("worker", ".", "services/worker/Dockerfile", "worker")
WORKER_DOCKERFILE = (
    "FROM scratch AS deps\n"
    "COPY --from=deps /x /x\n"
    "COPY libs/common /app/common\n"
    'COPY ["services/worker/*.toml", "/etc/"]\n'
    "RUN --mount=type=bind,source=requirements.txt,target=/r true\n"
)


@pytest.mark.critical
def test_root_context_is_narrowed_to_copy_sources() -> None:
    watch = discover.service_watch(WORKER, shared=True, dockerfile=WORKER_DOCKERFILE)
    assert claimed(
        watch,
        "libs/common/a/b.py",
        "libs/common",
        "services/worker/w.toml",
        "services/worker/sub/w.toml",
        "requirements.txt",
        "services/worker/Dockerfile",
        ".dockerignore",
        "services/worker/Dockerfile.dockerignore",
        "src/app/x.py",
        "libs/other/x.py",
    ) == {
        "libs/common/a/b.py": "services.worker.copy[0]",
        "libs/common": "services.worker.copy[0]",
        "services/worker/w.toml": "services.worker.copy[1]",
        "services/worker/sub/w.toml": None,
        "requirements.txt": "services.worker.mount[0]",
        "services/worker/Dockerfile": "services.worker.dockerfile",
        ".dockerignore": "services.worker.dockerignore",
        "services/worker/Dockerfile.dockerignore": "services.worker.dockerignore",
        "src/app/x.py": None,
        "libs/other/x.py": None,
    }
    assert watch.note == "3 COPY/ADD/mount sources in services/worker/Dockerfile"


def test_copy_sources_still_pass_through_the_dockerignore() -> None:
    ignore = IgnoreFile.parse("**/__pycache__\n")
    watch = discover.service_watch(
        WORKER, shared=True, dockerfile=WORKER_DOCKERFILE, ignores=[ignore]
    )
    assert services.claims(watch, "libs/common/__pycache__/a.pyc") is None
    assert services.claims(watch, "libs/common/a.py") == "services.worker.copy[0]"


@pytest.mark.critical
@pytest.mark.parametrize(
    ("dockerfile", "note"),
    [
        (
            "FROM scratch\nCOPY ${LIB} /lib\n",
            (
                "the whole context . (line 2: COPY source '${LIB}' uses a variable whose value"
                " is not known)"
            ),
        ),
        (
            "FROM scratch\nADD https://example.invalid/$V/x.tgz ${NOWHERE} /x\n",
            (
                "the whole context . (line 2: ADD source '${NOWHERE}' uses a variable whose value"
                " is not known)"
            ),
        ),
        (None, "the whole context . (cannot read services/worker/Dockerfile)"),
    ],
)
def test_never_narrow_on_a_guess(dockerfile: str | None, note: str) -> None:
    watch = discover.service_watch(WORKER, shared=True, dockerfile=dockerfile)
    assert services.claims(watch, "src/anything.py") == "services.worker.context"
    assert watch.note == note


def test_copy_dot_watches_the_whole_context_under_a_copy_rule() -> None:
    watch = discover.service_watch(WORKER, shared=True, dockerfile="FROM scratch\nCOPY . /app\n")
    assert services.claims(watch, "any/file.py") == "services.worker.copy[0]"


@pytest.mark.parametrize(
    ("context", "others", "shared"),
    [
        (".", [], True),
        ("services", ["services/api"], True),
        ("services/api", ["services/api", "services/apiary"], False),
        ("services/api", ["services/web"], False),
    ],
)
def test_shared_context_rule(context: str, others: list[str], shared: bool) -> None:
    assert services.shared_context(context, [context, *others]) is shared


def test_special_characters_in_paths_are_literal() -> None:
    service = config.Service("odd", "svc/[x]", "svc/[x]/Docker{file}", "odd")
    watch = discover.service_watch(service, shared=False, dockerfile=None)
    assert services.claims(watch, "svc/[x]/Docker{file}") == "services.odd.dockerfile"
    assert services.claims(watch, "svc/[x]/a.py") == "services.odd.context"
    assert services.claims(watch, "svc/x/a.py") is None


def test_load_watches_reads_dockerfiles_and_ignore_files(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".dockerignore": "*\n!libs/common\n!services/worker\n",
            "services/worker/Dockerfile": "FROM scratch\nCOPY libs/common /c\nCOPY services/worker/w.toml /w\n",
            "services/api/Dockerfile": "FROM scratch\nCOPY app.py /\n",
            "services/api/.dockerignore": "*.md\n",
        },
    )
    config_ = cfg(
        {
            "services": {
                "api": {"context": "services/api"},
                "worker": {"context": ".", "dockerfile": "services/worker/Dockerfile"},
            }
        },
        root=tmp_path,
    )
    watches = discover.load_watches(config_, WorkTree(tmp_path))
    assert services.claims(watches["api"], "services/api/README.md") is None
    assert services.claims(watches["api"], "services/api/notes.txt") == "services.api.context"
    assert services.claims(watches["worker"], "libs/common/x.py") == "services.worker.copy[0]"
    assert services.claims(watches["worker"], "services/api/app.py") is None
    assert watches["worker"].note == "2 COPY/ADD/mount sources in services/worker/Dockerfile"


# --- affected services --------------------------------------------------------------


def modified(path: str) -> ChangedFile:
    return ChangedFile(path, "modified")


GRAPH = cfg(
    {
        "services": {
            "base": {"context": "images/base"},
            "api": {"context": "services/api", "depends-on": ["base"]},
            "web": {"context": "services/web", "depends-on": ["api"]},
            "docs": {"context": "services/docs"},
        }
    }
)
WATCHES = {
    name: discover.service_watch(s, shared=False, dockerfile=None)
    for name, s in GRAPH.services.items()
}
DEPENDS = {name: s.depends_on for name, s in GRAPH.services.items()}


def affected(*files: ChangedFile) -> dict[str, tuple[Reason, ...]]:
    rules = mapping.compile_rules(GRAPH, WATCHES)
    return dict(mapping.select(files, rules).services)


@pytest.mark.critical
def test_depends_on_is_transitive_with_rule_ids() -> None:
    hits = affected(modified("images/base/Dockerfile"))
    path, status = "images/base/Dockerfile", "modified"
    assert hits == {
        "base": (Reason("service:base", path, status, "services.base.dockerfile"),),
        "api": (Reason("service:api", path, status, "services.api.depends-on[0]"),),
        "web": (Reason("service:web", path, status, "services.web.depends-on[0]"),),
    }


def test_the_first_affected_dependency_is_named() -> None:
    both = cfg(
        {
            "services": {
                "web": {"context": "services/web", "depends-on": ["api", "base"]},
                "api": {"context": "services/api", "depends-on": ["base"]},
                "base": {"context": "images/base"},
            }
        }
    )
    watches = {n: discover.service_watch(s, shared=False, dockerfile=None) for n, s in both.services.items()}  # fmt: skip
    rules = mapping.compile_rules(both, watches)
    hits = mapping.select([modified("images/base/x")], rules).services
    assert hits["web"][0].rule == "services.web.depends-on[0]"  # api, itself pulled in by base
    assert hits["api"][0].rule == "services.api.depends-on[0]"


def test_a_leaf_change_selects_only_the_leaf() -> None:
    assert list(affected(modified("services/web/index.html"))) == ["web"]


def test_rename_counts_on_both_paths() -> None:
    hits = affected(ChangedFile("services/docs/a.md", "renamed", old_path="services/web/a.md"))
    assert sorted(hits) == ["docs", "web"]
    assert hits["web"][0].status == "renamed"


def test_nothing_claimed_means_nothing_affected() -> None:
    assert affected(modified("README.md")) == {}
