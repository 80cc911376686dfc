"""How many image builds does `tiered-ci build` save, and what does deciding cost?

Generates (with `git fast-import`, deterministic seed) a repository of 12
services with shared libraries and a 500-commit history:

* s00-s07 build from their own folder; s04 and s11 depend on s00 (FROM it);
* s08 and s09 build from the repository root and COPY libs/liba (and s09
  libs/libc) next to their own folder, so only those count among the root;
* s10 lists libs/libb among its extra `paths`;
* each commit touches 1-4 files: mostly one service's files, sometimes a
  shared library, docs (ignored), unused code, or pyproject.toml (global).

Then replays every commit (parent..commit) and reports, in the same run:

* images built by tiered-ci's selection / images a build-everything CI builds;
* the median time of the selection per commit (change detection with
  GitPython + Dockerfile/.dockerignore reading + mapping + plan, in-process,
  as `tiered-ci build` does it) against a bare `git diff --name-only` per
  commit, and the whole `tiered-ci build --dry-run` CLI on a sample of commits
  against the floor of any GitPython CLI (start Python, `import git`, diff).

Run: `python benchmarks/bench_build.py` (or `nox -s bench`).
"""

from __future__ import annotations

import itertools
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "ci"))

from tiered_ci import config as config_module  # noqa: E402 - after the path tweak above
from tiered_ci import events  # noqa: E402
from tiered_ci.changes import detect  # noqa: E402
from tiered_ci.commands.build import select_for_change  # noqa: E402
from tiered_ci.pipeline import Change  # noqa: E402

SERVICES = 12
COMMITS = 500
CLI_SAMPLE = 25
SEED = 20260101
ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "PYTHONPATH": str(ROOT),
}


def config_text() -> str:
    lines = [
        "[tool.tiered-ci]",
        'ignore = ["**/*.md", "docs/**"]',
        'run-all = ["pyproject.toml"]',
        'unmapped = "ignore"',  # src/ and libs/libd are Python code no image ships
    ]
    for i in range(SERVICES):
        name = f"s{i:02d}"
        lines += [f"[tool.tiered-ci.services.{name}]", f'image = "localhost/bench-{name}"']
        if i in (8, 9):
            lines += ['context = "."', f'dockerfile = "services/{name}/Dockerfile"']
        else:
            lines += [f'context = "services/{name}"']
        if i == 10:
            lines += ['paths = ["libs/libb/**"]']
        if i in (4, 11):
            lines += ['depends-on = ["s00"]']
    return "\n".join(lines) + "\n"


def dockerfile(i: int) -> str:
    name = f"s{i:02d}"
    if i == 8:
        return f"FROM scratch\nCOPY libs/liba /lib/a\nCOPY services/{name}/app /app\n"
    if i == 9:
        return (
            "FROM scratch\nCOPY --chmod=644 libs/liba /lib/a\nCOPY libs/libc /lib/c\n"
            f'COPY ["services/{name}/app", "/app"]\n'
        )
    return "FROM scratch\nCOPY app /app\n"


def initial_files() -> dict[str, str]:
    files = {"pyproject.toml": config_text(), ".dockerignore": "**/__pycache__\n"}
    for i in range(SERVICES):
        name = f"s{i:02d}"
        files[f"services/{name}/Dockerfile"] = dockerfile(i)
        files[f"services/{name}/README.md"] = f"# {name}\n"
        for j in range(8):
            files[f"services/{name}/app/m{j}.py"] = f"X = {j}\n"
    for lib in ("liba", "libb", "libc", "libd"):
        for j in range(10):
            files[f"libs/{lib}/{lib}/f{j}.py"] = f"Y = {j}\n"
    for j in range(40):
        files[f"src/pkg/mod{j}.py"] = f"Z = {j}\n"
        files[f"docs/page{j}.md"] = f"page {j}\n"
    return files


def pick_change(rng: random.Random, files: list[str]) -> list[str]:
    """1-4 paths, weighted like a monorepo's history: mostly one service at a time."""
    roll = rng.random()
    if roll < 0.55:
        service = f"s{rng.randrange(SERVICES):02d}"
        pool = [f for f in files if f.startswith(f"services/{service}/")]
    elif roll < 0.70:
        lib = rng.choice(["liba", "libb", "libc", "libd"])
        pool = [f for f in files if f.startswith(f"libs/{lib}/")]
    elif roll < 0.85:
        pool = [f for f in files if f.startswith("docs/")]
    elif roll < 0.98:
        pool = [f for f in files if f.startswith("src/")]
    else:
        return ["pyproject.toml"]
    return rng.sample(pool, k=min(len(pool), rng.randint(1, 4)))


def fast_import_stream(rng: random.Random) -> bytes:
    files = initial_files()
    names = sorted(f for f in files if f != "pyproject.toml")
    out: list[bytes] = []
    counter = 0

    def commit(changes: dict[str, str], message: str) -> None:
        nonlocal counter
        counter += 1
        stamp = 1_767_225_600 + counter * 60
        out.append(b"commit refs/heads/main\n")
        out.append(f"mark :{counter}\n".encode())
        out.append(f"committer bench <bench@example.invalid> {stamp} +0000\n".encode())
        out.append(f"data {len(message)}\n{message}\n".encode())
        if counter > 1:
            out.append(f"from :{counter - 1}\n".encode())
        for path, text in sorted(changes.items()):
            data = text.encode()
            out.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")

    commit(files, "initial layout")
    for n in range(COMMITS):
        changed = pick_change(rng, names)
        edits = {}
        for path in changed:
            files[path] = files[path] + f"# edit {n}\n"
            edits[path] = files[path]
        commit(edits, f"change {n}")
    return b"".join(out)


def make_repo(path: Path) -> list[str]:
    """The repository, and its commits oldest first."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True, env=ENV)
    stream = fast_import_stream(random.Random(SEED))
    subprocess.run(
        ["git", "-C", str(path), "fast-import", "--quiet"], input=stream, check=True, env=ENV
    )
    subprocess.run(["git", "-C", str(path), "checkout", "-q", "main"], check=True, env=ENV)
    out = subprocess.run(
        ["git", "-C", str(path), "rev-list", "--reverse", "main"],
        check=True, env=ENV, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return out.split()


def time_git_diff(repo: Path, parent: str, commit: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        ["git", "-C", str(repo), "diff", "--name-only", parent, commit],
        check=True, env=ENV, capture_output=True,
    )  # fmt: skip
    return time.perf_counter() - start


def time_floor(repo: Path, parent: str, commit: str) -> float:
    """What any GitPython-based CLI pays: start Python, import git, diff."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import git"], check=True, env=ENV)
    elapsed = time.perf_counter() - start
    return elapsed + time_git_diff(repo, parent, commit)


def time_cli(repo: Path, parent: str, commit: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "tiered_ci", "build", "--repo", str(repo), "--base", parent,
         "--head", commit, "--dry-run", "--builder", "buildah", "--tag", "bench"],
        check=True, env=ENV, capture_output=True,
    )  # fmt: skip
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="tiered-ci-bench-build-") as folder:
        repo = Path(folder) / "repo"
        commits = make_repo(repo)
        config = config_module.load(repo)
        trigger = events.Trigger(event="pull_request", kind="pull_request")
        built = 0
        modes = {"partial": 0, "all": 0, "none": 0}
        selection_times: list[float] = []
        diff_times: list[float] = []
        pairs = list(itertools.pairwise(commits))
        for parent, commit in pairs:
            diff_times.append(time_git_diff(repo, parent, commit))
            start = time.perf_counter()
            changes = detect(repo, trigger, base=parent, head=commit)
            selected = select_for_change(Change(repo, config, trigger, changes))
            selection_times.append(time.perf_counter() - start)
            built += len(selected.services)
            mode = "all" if selected.why.startswith("building every") else (
                "partial" if selected.services else "none"
            )  # fmt: skip
            modes[mode] += 1
        sample = pairs[:: max(1, len(pairs) // CLI_SAMPLE)][:CLI_SAMPLE]
        cli_times = [time_cli(repo, p, c) for p, c in sample]
        floor_times = [time_floor(repo, p, c) for p, c in sample]

    everything = SERVICES * len(pairs)
    select_ms = statistics.median(selection_times) * 1000
    diff_ms = statistics.median(diff_times) * 1000
    cli_ms = statistics.median(cli_times) * 1000
    print(f"history: {len(pairs)} commits over {SERVICES} services "
          f"({modes['partial']} partial, {modes['all']} all, {modes['none']} none)")  # fmt: skip
    print()
    print(f"{'measure':<52} {'value':>12}")
    print(f"{'images built by tiered-ci selection':<52} {built:>12}")
    print(f"{'images built by build-everything':<52} {everything:>12}")
    print(f"{'ratio (selection / everything)':<52} {built / everything:>12.3f}")
    print(f"{'selection per commit, median (in-process)':<52} {select_ms:>10.1f}ms")
    print(f"{'baseline: git diff --name-only per commit, median':<52} {diff_ms:>10.1f}ms")
    print(f"{'ratio (selection / git diff)':<52} {select_ms / diff_ms:>12.2f}")
    print(f"{'tiered-ci build --dry-run CLI, median of ' + str(len(sample)):<52} {cli_ms:>10.1f}ms")
    floor_ms = statistics.median(floor_times) * 1000
    print(f"{'floor: python + import git + git diff, same sample':<52} {floor_ms:>10.1f}ms")
    print(f"{'ratio (CLI / floor)':<52} {cli_ms / floor_ms:>12.2f}")


if __name__ == "__main__":
    main()
