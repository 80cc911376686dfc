"""A repository made from examples/packages-monorepo, committed in steps (it grows a package).

History on main (first parent), oldest first:

1. the root config, noxfile, `core` and `models`
2. `storage`
3. `api`
4. `cli` (the package added last)
5. a change to `core`'s code
6. a README edit (ignored)
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support import PROJECT_ROOT, GitRepo

PACKAGES_EXAMPLE = PROJECT_ROOT / "examples" / "packages-monorepo"
STEPS = (
    (
        "root, core and models",
        (
            "pyproject.toml",
            "noxfile.py",
            "README.md",
            ".gitignore",
            "packages/core",
            "packages/models",
        ),
    ),
    ("storage", ("packages/storage",)),
    ("api", ("packages/api",)),
    ("cli: the fifth package", ("packages/cli",)),
)


def copy_example(target: Path, parts: tuple[str, ...]) -> None:
    for part in parts:
        source = PACKAGES_EXAMPLE / part
        if source.is_dir():
            shutil.copytree(
                source,
                target / part,
                dirs_exist_ok=True,
                ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
            )
        else:
            shutil.copy2(source, target / part)


@pytest.fixture
def packages_repo(repo: GitRepo) -> GitRepo:
    """The example committed in steps on main; the last commits edit core and a README."""
    for message, parts in STEPS:
        copy_example(repo.path, parts)
        repo.commit(message)
    core = repo.path / "packages/core/src/acme_core/__init__.py"
    repo.write("packages/core/src/acme_core/__init__.py", core.read_text() + "\nVERSION = 1\n")
    repo.commit("core: a version constant")
    repo.write("README.md", (repo.path / "README.md").read_text() + "\nMore words.\n")
    repo.commit("readme")
    return repo


@pytest.fixture
def axis_repo(packages_repo: GitRepo) -> GitRepo:
    """The packages example with a click version axis on its core member (two pins)."""
    pyproject = packages_repo.path / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text()
        + """
[tool.tiered-ci.domain-families.packages.members.core]
matrix = { "click" = ["8.0.4", "8.1.7"] }
"""
    )
    packages_repo.commit("core: a click version axis")
    return packages_repo
