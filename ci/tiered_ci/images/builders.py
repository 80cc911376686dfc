"""Image builders: pure argv builders, builder detection and a thin parallel runner.

Builders, in the order `auto` tries them:

* `bake`: `docker buildx bake` with a generated JSON bake file, all selected
  targets in one call (one call per depends-on level), registry cache flags
  when `cache = "registry"`. Chosen when `docker buildx version` works AND a
  Docker engine answers (a docker client without an engine is not a builder).
* `docker`: `docker build`, one per service, when an engine answers but buildx is missing.
* `podman`: `podman build`, then `podman push` per tag when asked.
* `buildah`: `buildah bud`, then `buildah push` per tag when asked.

podman and buildah run as root inside containers (CI runners, this project's
machines) only with `chroot` isolation: the default OCI runtime cannot create
cgroups there ("cgroups in hybrid mode not supported"). `builder_env` sets
`BUILDAH_ISOLATION=chroot` in a container unless the user set it, and
detection falls back to `STORAGE_DRIVER=vfs` when the default storage driver
does not work (overlay on overlay).
"""

from __future__ import annotations

import concurrent.futures
import graphlib
import hashlib
import json
import os
import posixpath
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from tiered_ci.errors import CommandFailed, ConfigError, UsageError
from tiered_ci.model import Service

__all__ = [
    "BAKE_FILE",
    "BUILDER_CHOICES",
    "INSTALL_HINT",
    "Argv",
    "Builder",
    "Choice",
    "Execute",
    "Job",
    "Outcome",
    "Probe",
    "SystemProbe",
    "Tool",
    "bake_cmd",
    "bake_file",
    "bake_targets",
    "build_cmd",
    "builder_env",
    "cache_ref",
    "check_tag",
    "choose",
    "image_refs",
    "in_container",
    "levels",
    "make_jobs",
    "push_cmds",
    "run",
    "run_jobs",
    "write_bake_file",
]

Tool = Literal["bake", "docker", "podman", "buildah"]
BUILDER_CHOICES = ("docker", "podman", "buildah")  # what --builder accepts
INSTALL_HINT = "install docker with buildx, podman or buildah"
BAKE_FILE = "tiered-ci.bake.json"
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_BAKE_TARGET = re.compile(r"[^A-Za-z0-9_-]")

Argv = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Job:
    """One unit of work: the services it builds and the commands, in order."""

    name: str  # a service, or "bake[<level>]"
    services: tuple[str, ...]
    commands: tuple[Argv, ...]
    needs: tuple[str, ...] = ()  # services that must have been built first


@dataclass(frozen=True, slots=True)
class Outcome:
    job: Job
    ok: bool
    seconds: float = 0.0
    output: str = ""
    failed_command: Argv = ()
    returncode: int = 0
    skipped: str | None = None  # why it did not run (a dependency failed)


# --- pure: argv and bake file ----------------------------------------------------


def check_tag(tag: str) -> str:
    if not _TAG.fullmatch(tag):
        raise UsageError(
            f"--tag {tag!r}: not a valid image tag; use letters, digits, '_', '.' and '-' "
            "(at most 128, not starting with '.' or '-')"
        )
    return tag


def image_refs(service: Service, tags: Sequence[str]) -> tuple[str, ...]:
    return tuple(f"{service.image}:{tag}" for tag in tags)


Builder = Literal["docker", "podman", "buildah"]  # the one-build-per-service tools
_BUILD = {
    "docker": ("docker", "build"),
    "podman": ("podman", "build"),
    "buildah": ("buildah", "bud"),
}


def build_cmd(
    builder: Builder, service: Service, tags: Sequence[str], images: Mapping[str, str] = {}
) -> Argv:
    """The argv that builds one service's image (run from the repository root). Pure.

    Paths are `./`-relative and the context follows `--`, so a context or
    Dockerfile named like an option (`--iidfile=...`) stays a path (S5).
    `images` maps a service to the image ref it was built as in this run, for
    `service:<name>` build contexts. docker buildx builds every target in one
    `bake_cmd` call instead.
    """
    argv = [*_BUILD[builder], "-f", local_path(service.dockerfile)]
    for ref in image_refs(service, tags):
        argv += ["-t", ref]
    if service.target:
        argv += ["--target", service.target]
    for name in sorted(service.args):
        argv += ["--build-arg", f"{name}={service.args[name]}"]
    for name in sorted(service.contexts):
        value = _context_value(service.contexts[name], images, prefix="docker-image://")
        argv += ["--build-context", f"{name}={value}"]
    return (*argv, "--", local_path(service.context))


def local_path(path: str) -> str:
    """A repo-relative path that no builder can read as an option or as stdin (`-`)."""
    return path if path == "." or path.startswith(("./", "/")) else f"./{path}"


def _context_value(value: str, images: Mapping[str, str], *, prefix: str) -> str:
    """A named context for a builder: a folder (`./`-relative), a URL or image as written,
    and `service:<name>` as the image that service was built as."""
    if value.startswith("service:"):
        name = value.removeprefix("service:")
        return f"{prefix}{images[name]}" if name in images else value
    if "://" in value or value.startswith(("git@", "target:")):
        return value
    return local_path(value)


def push_cmds(builder: Builder, service: Service, tags: Sequence[str]) -> tuple[Argv, ...]:
    """The pushes that follow a build, one per tag (bake pushes as it builds). Pure."""
    return tuple((builder, "push", ref) for ref in image_refs(service, tags))


def cache_ref(service: Service, *, to: bool) -> str:
    ref = f"type=registry,ref={service.image}:buildcache"
    return f"{ref},mode=max" if to else ref


def bake_targets(names: Sequence[str]) -> dict[str, str]:
    """A distinct bake target name for every service name (W6). Pure.

    Bake allows letters, digits, '_' and '-'. A name made of those is kept; any
    other is cleaned and suffixed with a hash of the whole name, so `a.b` and
    `a_b` (or `web app` and `web/app`) stay two targets. A clash left after
    that (a service literally named like another's cleaned form) is a config
    error, never a target silently built once.
    """
    targets: dict[str, str] = {}
    owners: dict[str, str] = {}
    for name in names:
        target = name if _BAKE_TARGET.search(name) is None and name else _hashed(name)
        if target in owners and owners[target] != name:
            raise ConfigError(
                f"services {owners[target]!r} and {name!r}: both become the bake target "
                f"{target!r}; rename one of them"
            )
        owners[target] = name
        targets[name] = target
    return targets


def _hashed(name: str) -> str:
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return f"{_BAKE_TARGET.sub('_', name)}-{digest}"


def bake_file(
    services: Sequence[Service],
    tags: Sequence[str],
    *,
    cache: str = "none",
    root: Path | None = None,
) -> dict[str, object]:
    """The JSON bake definition for `services`. Pure.

    Contexts are relative to the repository root, or absolute under `root` when
    given (the real bake file lives in a temporary folder: no doubt about what a
    relative path is relative to).
    """
    names = bake_targets([s.name for s in services])
    targets: dict[str, object] = {}
    for service in services:
        context = service.context if root is None else str(root / service.context)
        target: dict[str, object] = {
            "context": context,
            # bake resolves the Dockerfile against the context, like Compose.
            "dockerfile": posixpath.relpath(service.dockerfile, service.context),
            "tags": list(image_refs(service, tags)),
        }
        if service.target:
            target["target"] = service.target
        if service.args:
            target["args"] = {k: service.args[k] for k in sorted(service.args)}
        if service.contexts:
            target["contexts"] = {
                name: _bake_context(value, names, root)
                for name, value in sorted(service.contexts.items())
            }
        if cache == "registry":
            target["cache-from"] = [cache_ref(service, to=False)]
            target["cache-to"] = [cache_ref(service, to=True)]
        targets[names[service.name]] = target
    return {"group": {"default": {"targets": list(names.values())}}, "target": targets}


def _bake_context(value: str, names: Mapping[str, str], root: Path | None) -> str:
    """A named context in a bake file: `target:<t>` for a service built in the same bake."""
    if value.startswith("service:") and value.removeprefix("service:") in names:
        return f"target:{names[value.removeprefix('service:')]}"
    if "://" in value or value.startswith(("git@", "service:", "target:")):
        return value
    return value if root is None else str(root / value)


def bake_cmd(
    path: str, services: Sequence[Service], *, push: bool = False, every: Sequence[str] = ()
) -> Argv:
    """`docker buildx bake` for `services`. `every` names all services of the bake file,
    so target names are the same as in `bake_file`."""
    push_flag = ("--push",) if push else ()
    names = bake_targets(list(dict.fromkeys([*every, *(s.name for s in services)])))
    targets = tuple(names[s.name] for s in services)
    # `--` keeps a target name that starts with '-' from being read as an option.
    return ("docker", "buildx", "bake", "--file", path, *push_flag, "--", *targets)


def levels(services: Sequence[Service]) -> list[list[Service]]:
    """`services` in depends-on levels: a service comes after the selected ones it depends on.

    Each level keeps the order of `services`.
    """
    by_name = {s.name: s for s in services}
    position = {name: index for index, name in enumerate(by_name)}
    sorter = graphlib.TopologicalSorter(
        {s.name: [d for d in s.depends_on if d in by_name] for s in services}
    )
    try:
        sorter.prepare()
    except graphlib.CycleError:  # config rejects cycles, so this is only a guard
        return [list(services)]
    out: list[list[Service]] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=position.__getitem__)
        out.append([by_name[name] for name in ready])
        sorter.done(*ready)
    return out


def make_jobs(
    tool: Tool,
    services: Sequence[Service],
    tags: Sequence[str],
    *,
    push: bool = False,
    bake_path: str = BAKE_FILE,
) -> tuple[Job, ...]:
    """The work to build `services`: one bake call per depends-on level, else one job each.

    A job needs the selected services its services depend on. Pure.
    """
    selected = {s.name for s in services}
    every = [s.name for s in services]
    if tool == "bake":
        jobs: list[Job] = []
        for index, level in enumerate(levels(services)):
            needs = sorted({d for s in level for d in s.depends_on if d in selected})
            argv = bake_cmd(bake_path, level, push=push, every=every)
            jobs.append(Job(f"bake[{index}]", tuple(s.name for s in level), (argv,), tuple(needs)))
        return tuple(jobs)
    built = {s.name: refs[0] for s in services if (refs := image_refs(s, tags))}
    return tuple(
        Job(
            service.name,
            (service.name,),
            (
                build_cmd(tool, service, tags, built),
                *(push_cmds(tool, service, tags) if push else ()),
            ),
            tuple(d for d in service.depends_on if d in selected),
        )
        for service in services
    )


def builder_env(tool: Tool, env: Mapping[str, str], *, in_container: bool) -> dict[str, str]:
    """The environment a builder runs with. Pure."""
    out = dict(env)
    if tool in ("podman", "buildah") and in_container:
        # The OCI runtime cannot set up cgroups inside most containers; chroot isolation can.
        out.setdefault("BUILDAH_ISOLATION", "chroot")
    return out


# --- detection (I/O) -------------------------------------------------------------


class Probe(Protocol):
    def works(self, argv: Argv, env: Mapping[str, str]) -> bool: ...


@dataclass(frozen=True, slots=True)
class Choice:
    tool: Tool
    env: Mapping[str, str] = field(default_factory=dict)  # the builder's environment
    notes: tuple[str, ...] = ()


def choose(
    forced: str | None, probe: Probe, env: Mapping[str, str], *, in_container: bool
) -> Choice:
    """The builder to use: `forced` (--builder) or the first that works. UsageError if none."""
    order: tuple[str, ...] = (forced,) if forced else BUILDER_CHOICES
    for name in order:
        if (choice := _try(name, probe, env, in_container=in_container)) is not None:
            return choice
    if forced:
        raise UsageError(f"--builder {forced}: {forced} is not available here; {INSTALL_HINT}")
    raise UsageError(f"no image builder works here; {INSTALL_HINT}")


def _try(name: str, probe: Probe, env: Mapping[str, str], *, in_container: bool) -> Choice | None:
    if name == "docker":
        # A client without an engine (no daemon socket) cannot build: ask the server too.
        if not probe.works(("docker", "version", "--format", "{{.Server.Version}}"), env):
            return None
        if probe.works(("docker", "buildx", "version"), env):
            return Choice("bake", dict(env))
        return Choice("docker", dict(env))
    tool: Tool = "podman" if name == "podman" else "buildah"
    run_env = builder_env(tool, env, in_container=in_container)
    if probe.works((tool, "info"), run_env):
        return Choice(tool, run_env)
    if "STORAGE_DRIVER" not in env:
        vfs_env = {**run_env, "STORAGE_DRIVER": "vfs"}
        if probe.works((tool, "info"), vfs_env):
            return Choice(tool, vfs_env, (f"{tool}: the default storage driver fails; using vfs",))
    return None


@dataclass(frozen=True, slots=True)
class SystemProbe:
    """Runs the probe command (found on PATH) with a timeout; exit 0 means it works."""

    timeout: float = 30.0

    def works(self, argv: Argv, env: Mapping[str, str]) -> bool:
        if shutil.which(argv[0], path=env.get("PATH")) is None:
            return False
        try:
            done = subprocess.run(
                argv,
                env=dict(env),
                capture_output=True,
                timeout=self.timeout,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.TimeoutExpired):
            return False
        return done.returncode == 0


def in_container() -> bool:
    return (
        Path("/.dockerenv").exists()
        or Path("/run/.containerenv").exists()
        # podman and systemd-nspawn set `container` (lower case) in their containers.
        or bool(os.environ.get("container"))  # noqa: SIM112 - that variable is lower case
    )


# --- running (I/O) ---------------------------------------------------------------


def run(argv: Argv, *, cwd: Path, env: Mapping[str, str]) -> str:
    """Run `argv` (never through a shell); its combined output, or CommandFailed carrying it."""
    try:
        done = subprocess.run(
            argv,
            cwd=cwd,
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except OSError as exc:
        raise CommandFailed(argv, 127, f"{argv[0]}: {exc.strerror or exc}") from exc
    output = done.stdout.decode("utf-8", errors="replace")
    if done.returncode != 0:
        raise CommandFailed(argv, done.returncode, output)
    return output


Execute = Callable[[Argv], str]


def run_jobs(
    jobs: Sequence[Job],
    execute: Execute,
    *,
    workers: int,
    on_done: Callable[[Outcome], None] = lambda _: None,
) -> list[Outcome]:
    """Run `jobs` in a thread pool of `workers`, each after the jobs it needs.

    A failure does not stop the others; a job whose dependency failed is skipped.
    """
    outcomes: dict[str, Outcome] = {}
    built: set[str] = set()
    failed: set[str] = set()
    pending = list(jobs)

    def finish(outcome: Outcome) -> None:
        (built if outcome.ok else failed).update(outcome.job.services)
        outcomes[outcome.job.name] = outcome
        on_done(outcome)

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        running: dict[concurrent.futures.Future[Outcome], Job] = {}
        while pending or running:
            for job in list(pending):
                if broken := [n for n in job.needs if n in failed]:
                    pending.remove(job)
                    finish(Outcome(job, ok=False, skipped=f"{', '.join(broken)} failed"))
                elif all(n in built for n in job.needs):
                    pending.remove(job)
                    running[pool.submit(_run_job, job, execute)] = job
            if not running:
                for job in pending:  # needs no job provides: a caller bug, never a hang
                    finish(Outcome(job, ok=False, skipped="its dependencies are not scheduled"))
                break
            done, _ = concurrent.futures.wait(
                running, return_when=concurrent.futures.FIRST_COMPLETED
            )
            for future in done:
                running.pop(future)
                finish(future.result())
    return [outcomes[job.name] for job in jobs]


def _run_job(job: Job, execute: Execute) -> Outcome:
    start = time.monotonic()
    outputs: list[str] = []
    for argv in job.commands:
        try:
            outputs.append(execute(argv))
        except CommandFailed as exc:
            outputs.append(exc.output)
            return Outcome(
                job,
                ok=False,
                seconds=time.monotonic() - start,
                output="".join(outputs),
                failed_command=exc.argv,
                returncode=exc.returncode,
            )
    return Outcome(job, ok=True, seconds=time.monotonic() - start, output="".join(outputs))


def write_bake_file(folder: Path, definition: Mapping[str, object]) -> Path:
    path = folder / BAKE_FILE
    path.write_text(json.dumps(definition, indent=2) + "\n", encoding="utf-8")
    return path
