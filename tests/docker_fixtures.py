"""A repository with three Docker services, shared by the build CLI and real-build tests.

* api: context services/api.
* web: context services/web, depends-on api (rebuilt whenever api is).
* worker: context "." (the repository root); its Dockerfile COPYs libs/common
  and its own settings, so only those count among the root's files.

Every image is `FROM scratch` + COPY, so podman or buildah build it offline.
"""

from __future__ import annotations

from pathlib import Path

from support import GitRepo


def services_config(prefix: str) -> str:
    return f"""\
[tool.tiered-ci]
default-branch = "main"
ignore = ["**/*.md"]
run-all = ["pyproject.toml"]

[tool.tiered-ci.services.api]
context = "services/api"
image = "{prefix}-api"

[tool.tiered-ci.services.web]
context = "services/web"
image = "{prefix}-web"
depends-on = ["api"]

[tool.tiered-ci.services.worker]
context = "."
dockerfile = "services/worker/Dockerfile"
image = "{prefix}-worker"
"""


LAYOUT = {
    "services/api/Dockerfile": "FROM scratch\nCOPY app.txt /srv/app.txt\n",
    "services/api/app.txt": "api v1\n",
    "services/web/Dockerfile": "FROM scratch\nCOPY index.html /srv/index.html\n",
    "services/web/index.html": "<p>web v1</p>\n",
    "services/worker/Dockerfile": (
        "FROM scratch\n"
        "COPY --chmod=644 libs/common /srv/common\n"
        "COPY services/worker/worker.toml /etc/worker.toml\n"
    ),
    "services/worker/worker.toml": "mode = 'batch'\n",
    "libs/common/money.txt": "money v1\n",
    "libs/other/unused.txt": "not copied by anyone\n",
    "docs/guide.md": "# guide\n",
}


def make_services_repo(path: Path, prefix: str) -> GitRepo:
    """The three-service repository committed on main, checked out on branch feature."""
    repo = GitRepo(path)
    repo.write("pyproject.toml", services_config(prefix))
    repo.write_many(LAYOUT)
    repo.commit("three services")
    repo.branch("feature")
    return repo


def built_images(lines: list[str]) -> list[str]:
    """Image refs (`name:tag`) a dry run would build, from its printed argv lines."""
    refs: list[str] = []
    for line in lines:
        words = line.split()
        refs += [words[i + 1] for i, word in enumerate(words) if word == "-t"]
    return refs
