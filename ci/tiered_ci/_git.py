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

Two ways to run git, both with that environment and those overrides:

* `call(root, ...)` and `CatFile` start git straight through `subprocess`. A plan
  calls only read-only plumbing (rev-parse, merge-base, diff, ls-files, cat-file)
  on every run, and importing GitPython costs more than all the rest of a small
  plan (about 130 ms of imports plus a `git version` at import time), so the
  planner's hot path never imports it.
* `open_repository` and `run(repo, ...)` go through GitPython, the library for
  everything else: fetching and deepening a shallow clone, and the reads of the
  impact, replay and init commands.

The only module that imports GitPython besides `tiered_ci.changes`.
"""

from __future__ import annotations

import contextlib
import functools
import os
import subprocess
import sys
import weakref
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import git

__all__ = [
    "CONFIG_OVERRIDES",
    "CatFile",
    "GitFailed",
    "call",
    "cat_file",
    "clean_environment",
    "errors",
    "executable",
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
    """What a failing git call raises (GitPython's error only once GitPython is in use)."""
    gitpython = sys.modules.get("git")
    raised = (GitFailed, ValueError, OSError)
    return raised if gitpython is None else (*raised, gitpython.GitCommandError)


class GitFailed(Exception):
    """A git command run by `call()` exited non-zero."""

    def __init__(self, args: tuple[str, ...], status: int, stderr: str) -> None:
        super().__init__(f"git {' '.join(args)}: exit {status}: {stderr.strip()}")
        self.status = status
        self.stderr = stderr


def executable() -> str:
    """The git to run: $GIT_PYTHON_GIT_EXECUTABLE when set, as GitPython does, else `git`."""
    return os.environ.get("GIT_PYTHON_GIT_EXECUTABLE") or "git"


def _environment() -> dict[str, str]:
    """os.environ without inherited GIT_* state, and git's messages in English (as
    GitPython runs it): fallback reasons quote them."""
    dropped = set(inherited_variables(os.environ))
    env = {name: value for name, value in os.environ.items() if name not in dropped}
    env.update(LANGUAGE="C", LC_ALL="C")
    return env


def call(root: Path, *args: str) -> str:
    """`git <overrides> <args>` run in `root` without GitPython; stdout as text.

    Decoded as GitPython decodes (UTF-8, undecodable bytes kept as surrogates), so a
    path reads the same whichever way it was listed. Raises GitFailed on a non-zero
    exit, OSError when git cannot be started.
    """
    done = subprocess.run(
        [executable(), *CONFIG_OVERRIDES, *args],
        cwd=root,
        env=_environment(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        stderr = done.stderr.decode("utf-8", "surrogateescape")
        raise GitFailed(args, done.returncode, stderr)
    return done.stdout.decode("utf-8", "surrogateescape")


# Requests written before their answers are read must fit in the pipe's buffer (64 KiB
# on Linux, 4 KiB at least by POSIX): else writing them could wait on git, which waits
# on us to read its answers.
_CHUNK_BYTES = 4096


def _chunks(names: Sequence[str]) -> Iterator[list[str]]:
    chunk: list[str] = []
    size = 0
    for name in names:
        length = len(os.fsencode(name)) + 1
        if chunk and size + length > _CHUNK_BYTES:
            yield chunk
            chunk, size = [], 0
        chunk.append(name)
        size += length
    if chunk:
        yield chunk


class CatFile:
    """One long-running `git cat-file --batch` in `root`: object contents by name.

    What GitPython's `get_object_data` does, without importing GitPython: a plan
    with `--head REV` reads its config, Dockerfiles and folders from REV's tree.
    """

    def __init__(self, root: Path) -> None:
        self._process = subprocess.Popen(
            [executable(), *CONFIG_OVERRIDES, "cat-file", "--batch"],
            cwd=root,
            env=_environment(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        # Closed at exit, or as soon as the cache lets go of it: a long-lived process
        # (a test run planning hundreds of repositories) keeps no idle git behind.
        self._finalizer = weakref.finalize(self, _close, self._process)

    def read(self, name: str) -> tuple[str, bytes] | None:
        """(object type, contents) of the object `name` (`<rev>:<path>`, an id); None
        when git has no such object. Raises OSError when the process died."""
        return self.read_many([name])[0]

    def read_many(self, names: Sequence[str]) -> list[tuple[str, bytes] | None]:
        """`read` of each name, asked in chunks: one flush and one wait for git per chunk
        instead of per object (a family of 500 packages reads 1,000 objects)."""
        out: list[tuple[str, bytes] | None] = []
        for chunk in _chunks(names):
            process = self._process
            askable = [os.fsencode(name) + b"\n" for name in chunk if "\n" not in name]
            if askable and process.stdin is not None:
                process.stdin.write(b"".join(askable))
                process.stdin.flush()
            # A name with a line break cannot be asked for on one line: None.
            out += [self._answer() if "\n" not in name else None for name in chunk]
        return out

    def _answer(self) -> tuple[str, bytes] | None:
        process = self._process
        if process.stdout is None:
            return None
        header = process.stdout.readline().split()
        if len(header) != 3:
            if not header:
                raise OSError("git cat-file --batch ended unexpectedly")
            return None
        size = int(header[2])
        data = process.stdout.read(size + 1)[:size]  # the contents, then a line break
        return header[1].decode(), data

    def close(self) -> None:
        self._finalizer()


def _close(process: subprocess.Popen[bytes]) -> None:
    """End a `git cat-file --batch`: close its input, wait, kill if it hangs."""
    if process.poll() is None:
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            if process.stdin is not None:
                process.stdin.close()  # git exits at the end of its input
            process.wait(timeout=5)
        if process.poll() is None:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()


@functools.lru_cache(maxsize=8)
def cat_file(root: Path) -> CatFile:
    """The `CatFile` of the repository at `root` (one process per repository)."""
    return CatFile(root)
