"""Files and folders that only tooling reads: ignored, since no test reads them. Pure."""

from __future__ import annotations

import re

from tiered_ci.adopt.proposal import Reader, read_toml

__all__ = ["no_test_reads"]

_TOOLING_FILES = (
    ".pre-commit-config.yaml",
    ".pylintrc",
    ".flake8",
    ".codespellrc",
    ".rstcheck.cfg",
    ".yamllint",
    ".yamllint.yaml",
    ".editorconfig",
    ".git-blame-ignore-revs",
    ".gitattributes",
    ".mailmap",
    ".readthedocs.yml",
    ".readthedocs.yaml",
    "CODEOWNERS",
)


_DOCS_REQUIREMENTS = re.compile(r"(?:docs?|rtd)[-_]requirements\.txt|requirements[-_]docs?\.txt")


_FRAGMENT_FOLDERS = (".changelog", "changelog.d", "changes", "newsfragments", "news")


def no_test_reads(files: set[str], read: Reader) -> list[str]:
    """Top-level files and folders that only tooling reads, as ignore globs."""
    found = [name for name in _TOOLING_FILES if name in files]
    found += [f for f in sorted(files) if "/" not in f and _DOCS_REQUIREMENTS.fullmatch(f)]
    folders = [
        name
        for name in _FRAGMENT_FOLDERS
        if any(f.startswith(f"{name}/") for f in files)
        and not any(f.startswith(f"{name}/") and f.endswith(".py") for f in files)
    ]
    towncrier = read_toml(read("pyproject.toml")).get("tool", {})
    if isinstance(towncrier, dict):
        directory = towncrier.get("towncrier", {})
        directory = directory.get("directory") if isinstance(directory, dict) else None
        if isinstance(directory, str) and directory.strip("/") and "*" not in directory:
            folders.insert(0, directory.strip("/"))
    return found + [f"{folder}/**" for folder in dict.fromkeys(folders)]
