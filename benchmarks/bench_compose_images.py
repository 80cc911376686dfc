"""Image selection on a real Compose project built from the repository root.

Subject: open-telemetry/opentelemetry-demo, whose services all build with
`context: ./` and a `dockerfile:` taken from `.env`, in Go, Java, Elixir,
.NET, Rust, C++, Node and Python. The compose files are the ones its Makefile
starts by default: compose.yaml, compose.full.yaml, compose.observability.yaml.

For each of the last N first-parent commits (default 300, back from a pinned
head), `tiered-ci replay` plans the commit as a pull request from its parent;
its `services` are the images tiered-ci builds. They are compared with the
images the commit really affects, decided here without tiered-ci's code:

* a reference reading of the compose files (merged in order, `.env`
  interpolation) gives each service's context, Dockerfile, args and target;
* a reference reading of the Dockerfile keeps the stages the build runs (the
  target, or the last stage, and every stage it builds `FROM` or copies
  `--from`), expands each `COPY` / `ADD` / bind-mount source exactly as the
  build would with those args (ARG defaults, ENV, an unset variable is empty)
  and skips remote `ADD` URLs;
* the files read are the context's tracked files that a source names (or that
  lie below a folder it names), minus what the ignore file BuildKit uses
  excludes (`<Dockerfile>.dockerignore`, else `.dockerignore`, moby's rules);
* an image is **needed** when the service is new, or its build definition,
  its Dockerfile's text or the content (blob id) of any file it reads differs
  between the parent and the commit.

Reported: images built by tiered-ci, images needed, built-and-needed,
precision (built-and-needed / built), missed (needed, not built) with the
commits that missed them, and the images a build-everything CI builds.

Run: `python benchmarks/bench_compose_images.py [--repo PATH] [--head REV]
[--last N] [--tiered-ci-src DIR]` (or `nox -s bench`). Without `--repo` (or
`$TIERED_CI_COMPOSE_REPO`) the repository is cloned into a temporary folder;
when that is not possible (no network) the benchmark says so and exits 0.
`--tiered-ci-src` runs another checkout's `ci/` folder (a before/after).
"""

from __future__ import annotations

import argparse
import json
import os
import posixpath
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
URL = "https://github.com/open-telemetry/opentelemetry-demo"
HEAD = "054282e318317f2be09f67dd9b0d7d1278566cfa"
COMPOSE_FILES = ("compose.yaml", "compose.full.yaml", "compose.observability.yaml")
CONFIG = f"""\
[tool.tiered-ci]
services-from = {json.dumps(list(COMPOSE_FILES))}
unmapped = "ignore"
"""


# --- git -----------------------------------------------------------------------------


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


class Commit:
    """One commit's tracked files (path -> blob id), read once."""

    def __init__(self, repo: Path, sha: str) -> None:
        self.repo = repo
        self.sha = sha
        self.blobs: dict[str, str] = {}
        for entry in git(repo, "ls-tree", "-r", "-z", sha).split("\0"):
            if entry:
                meta, path = entry.split("\t", 1)
                self.blobs[path] = meta.split()[2]

    def text(self, path: str) -> str | None:
        if path not in self.blobs:
            return None
        return git(self.repo, "cat-file", "blob", self.blobs[path])


# --- reference: compose ----------------------------------------------------------------

_VAR = re.compile(r"\$\{(\w+)(?::?([-+?])([^}]*))?\}|\$(\w+)")


def substitute(text: str, values: Mapping[str, str]) -> str:
    """`${X}`, `$X`, `${X:-d}`, `${X:+r}` with an unset variable empty (no nesting needed)."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(4)
        value = values.get(name, "")
        if match.group(2) == "-":
            return value or substitute(match.group(3), values)
        if match.group(2) == "+":
            return substitute(match.group(3), values) if value else ""
        return value

    return _VAR.sub(one, text.replace("$$", "\0")).replace("\0", "$")


def dotenv(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.removeprefix("export ").split("=", 1)
        value = value.strip()
        if value[:1] in "\"'" and value[-1:] == value[:1]:
            value = value[1:-1]
        else:
            value = value.split(" #")[0].strip()
        values[key.strip()] = substitute(value, values)
    return values


@dataclass(frozen=True)
class Build:
    context: str
    dockerfile: str  # repo-relative
    args: tuple[tuple[str, str], ...]
    target: str | None


def compose_builds(commit: Commit) -> dict[str, Build]:
    env = dotenv(commit.text(".env") or "")
    merged: dict[str, dict[str, object]] = {}
    for name in COMPOSE_FILES:
        text = commit.text(name)
        if text is None:
            continue
        services = (yaml.safe_load(text) or {}).get("services") or {}
        for service, spec in services.items():
            build = (spec or {}).get("build")
            if build is None:
                continue
            build = {"context": build} if isinstance(build, str) else dict(build)
            into = merged.setdefault(service, {})
            args = {**_pairs(into.get("args")), **_pairs(build.get("args"))}
            into.update(build)
            into["args"] = args
    out = {}
    for service, build in merged.items():
        context = posixpath.normpath(substitute(str(build.get("context", ".")), env))
        written = substitute(str(build.get("dockerfile") or "Dockerfile"), env)
        args = _pairs(build.get("args"))
        out[service] = Build(
            context=context,
            dockerfile=posixpath.normpath(posixpath.join(context, written)),
            args=tuple(sorted((k, substitute(str(v), env)) for k, v in args.items())),
            target=substitute(str(build["target"]), env) if build.get("target") else None,
        )
    return out


def _pairs(value: object) -> dict[str, object]:
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items() if v is not None}
    if isinstance(value, list):
        pairs = (str(item).partition("=") for item in value)
        return {name: rest for name, sep, rest in pairs if sep}
    return {}


# --- reference: Dockerfile -------------------------------------------------------------


@dataclass
class Stage:
    name: str | None
    base: str
    env: dict[str, str] = field(default_factory=dict)
    args: dict[str, str] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)  # context sources, expanded
    needs: list[str] = field(default_factory=list)  # stages it copies from / builds on


def logical_lines(text: str) -> Iterator[str]:
    buffer = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and buffer):
            continue
        if stripped.endswith("\\"):
            buffer += stripped[:-1] + " "
            continue
        line, buffer = buffer + stripped, ""
        if line:
            yield line


def unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def read_dockerfile(text: str, build_args: Mapping[str, str]) -> list[Stage]:
    """Stages with their context sources, expanded as the build expands them."""
    reader = _Reader(dict(build_args))
    for line in logical_lines(text):
        keyword, _, rest = line.partition(" ")
        reader.instruction(keyword.upper(), rest)
    return reader.stages


@dataclass
class _Reader:
    build_args: dict[str, str]
    global_args: dict[str, str] = field(default_factory=dict)
    stages: list[Stage] = field(default_factory=list)

    def instruction(self, keyword: str, rest: str) -> None:
        stage = self.stages[-1] if self.stages else None
        scope = self.global_args if stage is None else {**stage.args, **stage.env}
        if keyword == "ARG":
            self.arg(stage, rest, scope)
        elif keyword == "FROM":
            self.start(rest)
        elif stage is None:
            return
        elif keyword == "ENV":
            env(stage, rest, scope)
        elif keyword in ("COPY", "ADD"):
            copy_sources(stage, keyword, rest, scope)
        elif keyword == "RUN":
            mounts(stage, rest, scope)

    def arg(self, stage: Stage | None, rest: str, scope: Mapping[str, str]) -> None:
        for item in rest.split():
            name, sep, default = item.partition("=")
            if name in self.build_args:
                value = self.build_args[name]
            elif sep:
                value = substitute(unquote(default), scope)
            else:
                value = self.global_args.get(name, "") if stage is not None else ""
            (self.global_args if stage is None else stage.args)[name] = value

    def start(self, rest: str) -> None:
        words = [w for w in rest.split() if not w.startswith("--")]
        base = substitute(words[0], self.global_args)
        name = words[2].lower() if len(words) > 2 and words[1].lower() == "as" else None
        parent = next((s for s in self.stages if s.name == base.lower()), None)
        new = Stage(name, base, env=dict(parent.env) if parent else {})
        if parent is not None:
            new.needs.append(base.lower())
        self.stages.append(new)


def env(stage: Stage, rest: str, scope: Mapping[str, str]) -> None:
    if "=" not in rest.split(maxsplit=1)[0]:
        name, _, value = rest.partition(" ")
        stage.env[name] = substitute(value.strip(), scope)
        return
    updates = {}
    for name, value in re.findall(r"(\w+)=(\"[^\"]*\"|'[^']*'|\S+)", rest):
        updates[name] = substitute(unquote(value), scope)
    stage.env.update(updates)


def mounts(stage: Stage, rest: str, scope: Mapping[str, str]) -> None:
    for mount in re.findall(r"--mount=(\S+)", rest):
        options = dict(o.partition("=")[::2] for o in mount.split(","))
        if options.get("type", "bind") != "bind":
            continue
        if "from" in options:
            stage.needs.append(options["from"].lower())
            continue
        source = options.get("source") or options.get("src") or "."
        stage.sources.append(substitute(source, scope))


def copy_sources(stage: Stage, keyword: str, rest: str, scope: Mapping[str, str]) -> None:
    words = rest.split()
    flags = [w for w in words if w.startswith("--")]
    paths = [w for w in words if not w.startswith("--")]
    if rest.lstrip().startswith("[") or (paths and paths[0].startswith("[")):
        body = rest[rest.index("[") :]
        paths = json.loads(body)
    origin = next((f.split("=", 1)[1] for f in flags if f.startswith("--from=")), None)
    if origin is not None:
        stage.needs.append(substitute(origin, scope).lower())
        return
    for raw in paths[:-1]:
        if keyword == "ADD" and re.match(r"^(https?://|git@|git://)", raw):
            continue
        stage.sources.append(substitute(raw, scope))


def used_stages(stages: list[Stage], target: str | None) -> list[Stage]:
    by_name = {s.name: s for s in stages if s.name}
    by_name.update({str(i): s for i, s in enumerate(stages)})
    start: Stage | None = by_name.get(target.lower()) if target else stages[-1]
    seen: list[Stage] = []
    pending = [start] if start is not None else list(stages)
    while pending:
        stage = pending.pop()
        if any(stage is s for s in seen):
            continue
        seen.append(stage)
        pending += [by_name[n] for n in stage.needs if n in by_name]
    return seen


# --- reference: ignore files and source matching (moby's rules) --------------------------


def ignore_patterns(text: str) -> list[tuple[bool, re.Pattern[str]]]:
    out = []
    for raw in text.splitlines():
        if raw.startswith("#"):
            continue
        line = raw.strip()
        if not line:
            continue
        include = line.startswith("!")
        line = posixpath.normpath(line[1:].strip() if include else line)
        line = line[1:] if len(line) > 1 and line.startswith("/") else line
        out.append((include, re.compile(moby_regex(line))))
    return out


def moby_regex(pattern: str) -> str:
    out = "^"
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "*" and pattern[i + 1 : i + 2] == "*":
            i += 2
            if pattern[i : i + 1] == "/":
                i += 1
            out += ".*" if i >= len(pattern) else "(.*/)?"
            continue
        if char == "*":
            out += "[^/]*"
        elif char == "?":
            out += "[^/]"
        elif char in ".+()|{}$^":
            out += "\\" + char
        elif char == "\\" and i + 1 < len(pattern):
            out += "\\" + pattern[i + 1]
            i += 1
        else:
            out += char
        i += 1
    return out + "$"


def ignored(patterns: list[tuple[bool, re.Pattern[str]]], path: str) -> bool:
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for include, regex in patterns:
        if include != excluded:
            continue
        if any(regex.match(p) for p in prefixes):
            excluded = not include
    return excluded


@cache
def source_regex(source: str) -> re.Pattern[str]:
    """A COPY source (filepath.Match per segment) matching a path or any folder above it."""
    cleaned = posixpath.normpath(source.lstrip("/") or ".")
    if cleaned == ".":
        return re.compile(".*")
    body = ""
    i = 0
    while i < len(cleaned):
        char = cleaned[i]
        if char == "*":
            body += "[^/]*"
        elif char == "?":
            body += "[^/]"
        elif char == "[":
            end = cleaned.find("]", i + 1)
            cls = cleaned[i + 1 : end]
            body += "[" + ("^" + cls[1:] if cls.startswith("^") else cls) + "]"
            i = end
        elif char == "\\" and i + 1 < len(cleaned):
            body += re.escape(cleaned[i + 1])
            i += 1
        else:
            body += re.escape(char)
        i += 1
    return re.compile(body + "(/.*)?")


def read_set(commit: Commit, build: Build) -> tuple[object, ...] | None:
    """Everything the build of `build` at `commit` reads; None: its Dockerfile is missing."""
    text = commit.text(build.dockerfile)
    if text is None:
        return None
    stages = used_stages(read_dockerfile(text, dict(build.args)), build.target)
    sources = [s for stage in stages for s in stage.sources]
    prefix = "" if build.context == "." else build.context + "/"
    ignore = commit.text(build.dockerfile + ".dockerignore")
    if ignore is None:
        ignore = commit.text(prefix + ".dockerignore") or ""
    patterns = ignore_patterns(ignore)
    regexes = [source_regex(s) for s in sources]
    files = []
    for path, blob in commit.blobs.items():
        if not path.startswith(prefix):
            continue
        rel = path[len(prefix) :]
        if any(r.fullmatch(rel) for r in regexes) and not ignored(patterns, rel):
            files.append((rel, blob))
    return (build, commit.blobs[build.dockerfile], tuple(sorted(files)))


# --- tiered-ci -------------------------------------------------------------------------


def replay(repo: Path, head: str, last: int, src: Path) -> list[dict[str, object]]:
    with tempfile.TemporaryDirectory(prefix="tiered-ci-bench-compose-") as folder:
        config = Path(folder) / "tiered-ci.toml"
        config.write_text(CONFIG, encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
        env["PYTHONPATH"] = str(src)
        proc = subprocess.run(
            [sys.executable, "-m", "tiered_ci", "replay", "--repo", str(repo), "--config",
             str(config), "--head", head, "--last", str(last), "--format", "json"],
            check=True, capture_output=True, text=True, env=env,
        )  # fmt: skip
    commits: list[dict[str, object]] = json.loads(proc.stdout)["commits"]
    return commits


# --- the comparison --------------------------------------------------------------------


@dataclass
class Tally:
    built: int = 0
    needed: int = 0
    hits: int = 0
    everything: int = 0
    all_mode: int = 0
    errors: int = 0
    missed: list[tuple[str, str]] = field(default_factory=list)
    extra: dict[str, int] = field(default_factory=dict)


def compare(repo: Path, commits: list[dict[str, object]]) -> Tally:
    tally = Tally()
    trees: dict[str, Commit] = {}

    def tree(sha: str) -> Commit:
        if sha not in trees:
            trees[sha] = Commit(repo, sha)
        return trees[sha]

    for line in commits:
        sha = str(line["sha"])
        if "error" in line:
            tally.errors += 1
            continue
        parent = git(repo, "rev-parse", f"{sha}^1").strip()
        after, before = tree(sha), tree(parent)
        builds, old = compose_builds(after), compose_builds(before)
        needed = set()
        for name, build in builds.items():
            now = read_set(after, build)
            then = read_set(before, old[name]) if name in old else None
            if now is None or then is None or now != then:
                needed.add(name)
        built = {str(s) for s in line["services"]}  # type: ignore[attr-defined]
        tally.all_mode += line["mode"] == "all"
        tally.built += len(built)
        tally.needed += len(needed)
        tally.hits += len(built & needed)
        tally.everything += len(builds)
        tally.missed += [(sha[:10], name) for name in sorted(needed - built)]
        for name in built - needed:
            tally.extra[name] = tally.extra.get(name, 0) + 1
        trees = {k: v for k, v in trees.items() if k in (sha, parent)}
    return tally


def subject(args: argparse.Namespace) -> Iterator[Path | None]:
    path = args.repo or os.environ.get("TIERED_CI_COMPOSE_REPO")
    if path:
        yield Path(path)
        return
    with tempfile.TemporaryDirectory(prefix="tiered-ci-bench-compose-repo-") as folder:
        target = Path(folder) / "repo"
        proc = subprocess.run(
            ["git", "clone", "-q", "--no-checkout", URL, str(target)],
            check=False, capture_output=True, text=True,
        )  # fmt: skip
        yield target if proc.returncode == 0 else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repo", help="a clone of the subject (else cloned)")
    parser.add_argument("--head", default=HEAD, help=f"replay back from REV (default {HEAD})")
    parser.add_argument("--last", type=int, default=300, help="commits to replay")
    parser.add_argument("--tiered-ci-src", type=Path, default=ROOT / "ci")
    args, _ = parser.parse_known_args()  # `nox -s bench -- ...` passes the same args to all
    for repo in subject(args):
        if repo is None:
            print(f"bench_compose_images: skipped, cannot clone {URL} (offline?); pass --repo")
            return
        commits = replay(repo, args.head, args.last, args.tiered_ci_src)
        tally = compare(repo, commits)
        report(repo, args.head, commits, tally)


def report(repo: Path, head: str, commits: list[dict[str, object]], tally: Tally) -> None:
    sha = git(repo, "rev-parse", head).strip()
    print(f"subject: {URL} at {sha}, last {len(commits)} first-parent commits")
    print(f"compose files: {', '.join(COMPOSE_FILES)}")
    print()
    precision = tally.hits / tally.built if tally.built else 1.0
    rows = [
        ("images built by tiered-ci", tally.built),
        ("images needed (reference reading)", tally.needed),
        ("built and needed", tally.hits),
        ("precision (built and needed / built)", f"{precision:.3f}"),
        ("missed (needed, not built)", len(tally.missed)),
        ("images a build-everything CI builds", tally.everything),
        ("commits planned `all` / replay errors", f"{tally.all_mode} / {tally.errors}"),
    ]
    for name, value in rows:
        print(f"{name:<44} {value:>12}")
    for short, name in tally.missed:
        print(f"  missed: {name} at {short}")
    if tally.extra:
        ranked = sorted(tally.extra.items(), key=lambda kv: -kv[1])[:8]
        print("built, not needed (top):", ", ".join(f"{n} {c}" for n, c in ranked))


if __name__ == "__main__":
    main()
