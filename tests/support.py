"""Test support: real git repositories in tmp_path with a pinned identity."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import git

IDENTITY = {
    "GIT_AUTHOR_NAME": "Tiered Tester",
    "GIT_AUTHOR_EMAIL": "tester@example.invalid",
    "GIT_COMMITTER_NAME": "Tiered Tester",
    "GIT_COMMITTER_EMAIL": "tester@example.invalid",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
}


# The dependency groups the default sessions install (`test` for the tests, `lint` for
# quick): a fixture's pyproject without them reads as a config that fails in CI.
TOOL_GROUPS = '[dependency-groups]\ntest = ["pytest"]\nlint = ["ruff"]\n\n'


class GitRepo:
    """A real repository under `path`; every helper runs git through GitPython."""

    def __init__(self, path: Path, *, branch: str = "main") -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.repo = git.Repo.init(path, initial_branch=branch)
        with self.repo.config_writer() as cfg:
            cfg.set_value("user", "name", IDENTITY["GIT_AUTHOR_NAME"])
            cfg.set_value("user", "email", IDENTITY["GIT_AUTHOR_EMAIL"])
            cfg.set_value("commit", "gpgsign", "false")
            cfg.set_value("core", "autocrlf", "false")

    @property
    def git(self) -> git.Git:
        return self.repo.git

    def write(self, rel: str, text: str = "x\n") -> Path:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return target

    def write_many(self, files: dict[str, str]) -> None:
        for rel, text in files.items():
            self.write(rel, text)

    def remove(self, rel: str) -> None:
        self.git.rm("-q", "--", rel)

    def commit(self, message: str = "change") -> str:
        self.git.add("-A")
        with self.repo.git.custom_environment(**IDENTITY):
            self.git.commit("-q", "--allow-empty", "-m", message)
        return self.head()

    def head(self) -> str:
        return str(self.git.rev_parse("HEAD"))

    def branch(self, name: str, *, create: bool = True) -> None:
        if create:
            self.git.checkout("-q", "-b", name)
        else:
            self.git.checkout("-q", name)

    def merge(self, branch: str, message: str = "merge") -> str:
        with self.repo.git.custom_environment(**IDENTITY):
            self.git.merge("--no-ff", "-q", "-m", message, branch)
        return self.head()


def clone(source: GitRepo | Path | str, dest: Path, *args: str) -> GitRepo:
    """`git clone -q ARGS file://SOURCE DEST` (file:// so that --depth and --filter apply)."""
    url = source if isinstance(source, str) else f"file://{getattr(source, 'path', source)}"
    subprocess.run(["git", "clone", "-q", *args, url, str(dest)], check=True, env=git_env())
    cloned = GitRepo.__new__(GitRepo)
    cloned.path = dest
    cloned.repo = git.Repo(dest)
    return cloned


def git_env() -> dict[str, str]:
    """Environment for subprocesses that commit: the pinned identity, no user config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    env.update(IDENTITY)
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    return env


PROJECT_ROOT = Path(__file__).resolve().parent.parent


def run_nox(
    root: Path, *args: str, extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """A real `nox` in `root`, outside this suite's coverage (its runs are not ours)."""
    env = git_env()
    for name in ("COVERAGE_PROCESS_START", "COVERAGE_PROCESS_CONFIG", "COVERAGE_FILE"):
        env.pop(name, None)
    env.update(extra or {})
    return subprocess.run(
        [sys.executable, "-m", "nox", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=root,
        env=env,
    )


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for running `python -m tiered_ci` from this checkout in a subprocess."""
    env = git_env()
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(PROJECT_ROOT / "ci"), env.get("PYTHONPATH", "")) if p
    )
    env.update(extra or {})
    return env


def read_github_output(text: str) -> dict[str, str]:
    """`name<<DELIMITER`, value lines, `DELIMITER`: the runner's $GITHUB_OUTPUT format."""
    outputs: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        name, _, delimiter = line.partition("<<")
        assert delimiter, f"not a heredoc line: {line!r}"
        value = []
        for item in lines:
            if item == delimiter:
                break
            value.append(item)
        outputs[name] = "\n".join(value)
    return outputs
