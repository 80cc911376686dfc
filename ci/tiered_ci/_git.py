"""How the planner runs git: a clean environment and pinned configuration.

Two things outside the repository change what git reports, and both have
turned a real change into a wrong plan:

* Environment variables. git exports `GIT_DIR`, `GIT_INDEX_FILE`,
  `GIT_WORK_TREE`, `GIT_CONFIG_PARAMETERS` ... to the hooks it runs, so a
  `nox -s quick` in a pre-push hook inherits another repository's index or
  directory. Every git call here (and GitPython's own reads of the
  environment when it opens a repository) runs without them.
* Configuration. `diff.ignoreSubmodules`, a `.gitmodules` `ignore = all`,
  `diff.external`, `diff.relative`, `diff.renames`, colour or an fsmonitor can
  hide or rewrite entries of `git diff`. Every call passes `-c` overrides and
  the diff passes the matching flags.

The only module that imports GitPython besides `tiered_ci.changes`.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import git

__all__ = [
    "CONFIG_OVERRIDES",
    "clean_environment",
    "errors",
    "inherited_variables",
    "open_repository",
    "run",
]

# Variables that configure how git reaches a remote or authenticates, or GitPython
# itself: a user sets them on purpose, and a fetch in CI may need them. Everything
# else named GIT_* is state of some other git process and is dropped.
_KEEP = frozenset(
    {
        "GIT_ALLOW_PROTOCOL",
        "GIT_ASKPASS",
        "GIT_CONFIG_COUNT",
        "GIT_CONFIG_GLOBAL",
        "GIT_CONFIG_NOSYSTEM",
        "GIT_CONFIG_SYSTEM",
        "GIT_CURL_VERBOSE",
        "GIT_EXEC_PATH",
        "GIT_HTTP_PROXY_AUTHMETHOD",
        "GIT_HTTP_USER_AGENT",
        "GIT_PROTOCOL_FROM_USER",
        "GIT_PROXY_COMMAND",
        "GIT_SSH",
        "GIT_SSH_COMMAND",
        "GIT_SSH_VARIANT",
        "GIT_SSL_CAINFO",
        "GIT_SSL_CAPATH",
        "GIT_SSL_CERT",
        "GIT_SSL_KEY",
        "GIT_SSL_NO_VERIFY",
        "GIT_TERMINAL_PROMPT",
    }
)
_KEEP_PREFIXES = ("GIT_PYTHON_", "GIT_CONFIG_KEY_", "GIT_CONFIG_VALUE_", "GIT_TRACE")

# `-c` settings for every call. The diff flags (--no-renames, --ignore-submodules=none,
# --no-ext-diff, --no-textconv, --no-color) cover most of these already; the config
# overrides also cover the settings that have no flag, and keep each call's output the
# same whichever command reads it.
CONFIG_OVERRIDES: tuple[str, ...] = tuple(
    arg
    for setting in (
        "diff.external=",
        "diff.ignoreSubmodules=none",
        "diff.noprefix=false",
        "diff.relative=false",
        "diff.renames=false",
        "color.ui=false",
        "core.fsmonitor=false",
        "fetch.recurseSubmodules=false",
    )
    for arg in ("-c", setting)
)


def inherited_variables(environ: Mapping[str, str]) -> list[str]:
    """The names of `environ` that are another git process's state. Pure."""
    return [
        name
        for name in environ
        if name.startswith("GIT_") and name not in _KEEP and not name.startswith(_KEEP_PREFIXES)
    ]


@contextlib.contextmanager
def clean_environment() -> Iterator[None]:
    """Run the body without inherited GIT_* variables, then put them back.

    GitPython builds each subprocess's environment from `os.environ` (and reads
    GIT_DIR, GIT_WORK_TREE, GIT_OBJECT_DIRECTORY when it opens a repository), so
    they are removed from `os.environ` itself for the call. The planner is single
    threaded; nothing else runs while they are away.
    """
    saved = {name: os.environ.pop(name) for name in inherited_variables(os.environ)}
    try:
        yield
    finally:
        os.environ.update(saved)


@functools.lru_cache(maxsize=8)
def open_repository(root: Path, *, search_parents: bool = False) -> git.Repo:
    """GitPython's Repo at `root`, opened without inherited GIT_* variables (cached)."""
    import git  # noqa: PLC0415 - GitPython costs ~100 ms to import; only the git paths pay it

    with clean_environment():
        return git.Repo(root, search_parent_directories=search_parents)


def run(repo: git.Repo, *args: str) -> str:
    """`git <overrides> <args>` in `repo`, stdout as text (trailing newline kept).

    Raises git.GitCommandError on a non-zero exit.
    """
    argv = [repo.git.GIT_PYTHON_GIT_EXECUTABLE or "git", *CONFIG_OVERRIDES, *args]
    with clean_environment():
        return str(repo.git.execute(argv, strip_newline_in_stdout=False))


def errors() -> tuple[type[Exception], ...]:
    """What a failing git call raises."""
    import git  # noqa: PLC0415

    return (git.GitCommandError, ValueError, OSError)
