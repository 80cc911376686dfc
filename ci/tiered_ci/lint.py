"""Pure config lint: findings a valid config can still have (`tiered-ci check-config`).

Each finding names the key, the value and a fix. They are not load errors
because a config with them still plans safely; they usually mean a rule that
silently never fires.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from tiered_ci.escape import inline
from tiered_ci.globs import compile_glob
from tiered_ci.model import PREFIX, Config, Install, Service

__all__ = ["Finding", "lint"]

_GLOB_CHARS = frozenset("*?[]{}()!+@")


@dataclass(frozen=True, slots=True)
class Finding:
    key: str
    message: str

    def __str__(self) -> str:
        # A key holds the config's own names; one line each, whatever they contain.
        return inline(f"{self.key}: {self.message}")


def lint(config: Config, tracked: Sequence[str]) -> list[Finding]:
    """Every finding for `config` against the repository's tracked files."""
    index = _Index(tracked)
    findings = [
        Finding(key, "unknown key; check its spelling against the docs")
        for key in config.unknown_keys
    ]
    findings.extend(
        Finding(
            f"{PREFIX}.domains.{name}.tests",
            "no tests: its domain-shard session runs nothing; list the test folders that cover it",
        )
        for name, domain in config.domains.items()
        if not domain.tests
    )
    for key, patterns in _glob_lists(config):
        findings.extend(_lint_globs(key, patterns, index))
    for key, paths in _test_path_lists(config):
        findings.extend(
            Finding(f"{key}[{i}]", f"{path!r} matches no tracked file or folder; fix the path")
            for i, path in enumerate(paths)
            if not index.exists(path)
        )
    findings.extend(_lint_installs(config, index))
    findings.extend(
        Finding(
            f"{PREFIX}.domain-families.{family.name}.members.{member}",
            "names no domain of this family; use a generated domain's name "
            "(`tiered-ci plan --explain` lists them)",
        )
        for family in config.families.values()
        for member in family.members
        if config.domains.get(member) is None or config.domains[member].family != family.name
    )
    for name, service in config.services.items():
        findings.extend(_lint_service(name, service, index))
    return findings


def _lint_installs(config: Config, index: _Index) -> Iterator[Finding]:
    """Install files that are not there: the session would fail at `uv pip install`."""
    owners: list[tuple[str, Install | None]] = [
        (f"{PREFIX}.tiers.{name}.install", tier.install) for name, tier in config.tiers.items()
    ]
    for name, domain in config.domains.items():
        if domain.family is None:
            owners.append((f"{PREFIX}.domains.{name}.install", domain.install))
        else:
            # The key a user edits: the family's template, or this member's exception.
            family = config.families.get(domain.family)
            member = family.members.get(name) if family else None
            where = f"members.{name}.install" if member and member.install else "install"
            key = f"{PREFIX}.domain-families.{domain.family}.{where} (domain {name})"
            owners.append((key, domain.install))
    for key, install in owners:
        if install is None:
            continue
        for field_name, paths in (
            ("requirements", install.requirements),
            ("editable", install.editable),
        ):
            for i, path in enumerate(paths):
                if not index.exists(path):
                    yield Finding(
                        f"{key}.{field_name}[{i}]",
                        f"{path!r} is not a tracked file or folder, so installing this "
                        "environment fails; fix the path"
                        + (
                            " or give the domain its own install under members.<domain>"
                            if "(domain " in key
                            else ""
                        ),
                    )


def _lint_service(name: str, service: Service, index: _Index) -> Iterator[Finding]:
    key = f"{PREFIX}.services.{name}"
    if name != name.lower():
        yield Finding(
            key,
            f"{name!r} has upper-case letters, which Compose rejects in service names; "
            f"rename it to {name.lower()!r}",
        )
    if service.unresolved:
        return  # its inputs are unknown: `tiered-ci check-config` prints why as a note
    if not index.exists(service.context) or service.context in index.files:
        yield Finding(
            f"{key}.context",
            f"{service.context!r} is not a tracked folder, so nothing would be built "
            "from it; fix the path or commit the folder",
        )
    if service.dockerfile not in index.files:
        yield Finding(
            f"{key}.dockerfile",
            f"{service.dockerfile!r} is not a tracked file; fix the path or commit it",
        )
    for context_name, folder in sorted(service.contexts.items()):
        local = not ("://" in folder or folder.startswith(("git@", "service:", "target:")))
        if local and (not index.exists(folder) or folder in index.files):
            yield Finding(
                f"{key}.additional-contexts.{context_name}",
                f"{folder!r} is not a tracked folder; fix the path or commit its files",
            )


class _Index:
    def __init__(self, tracked: Sequence[str]) -> None:
        self.files = frozenset(tracked)
        self.folders = frozenset(
            path[:i] for path in tracked for i, char in enumerate(path) if char == "/"
        )

    def exists(self, path: str) -> bool:
        path = path.rstrip("/")
        return path in ("", ".") or path in self.files or path in self.folders


def _glob_lists(config: Config) -> Iterator[tuple[str, tuple[str, ...]]]:
    yield f"{PREFIX}.ignore", config.ignore
    yield f"{PREFIX}.run-all", config.run_all
    for name, domain in config.domains.items():
        if domain.family is None:
            yield f"{PREFIX}.domains.{name}.paths", domain.paths
    for name, service in config.services.items():
        yield f"{PREFIX}.services.{name}.paths", service.paths


def _test_path_lists(config: Config) -> Iterator[tuple[str, tuple[str, ...]]]:
    # A family's templates fit most folders, not all: a package without a tests
    # folder has nothing to run (its shard skips), which is no config error.
    for name, domain in config.domains.items():
        if domain.family is None:
            yield f"{PREFIX}.domains.{name}.tests", domain.tests
            yield f"{PREFIX}.domains.{name}.integration-tests", domain.integration_tests
    for name, tier in config.tiers.items():
        yield f"{PREFIX}.tiers.{name}.paths", tier.paths


def _lint_globs(key: str, patterns: tuple[str, ...], index: _Index) -> Iterator[Finding]:
    if patterns and all(p.startswith("!") for p in patterns):
        yield Finding(
            key,
            "only negations: a list of `!` patterns claims nothing; "
            "add the positive pattern they carve out of (e.g. 'src/**')",
        )
    for i, pattern in enumerate(patterns):
        body = pattern.removeprefix("!")
        if not _GLOB_CHARS.intersection(body) and body.rstrip("/") in index.folders:
            folder = body.rstrip("/")
            yield Finding(
                f"{key}[{i}]",
                f"{pattern!r} is a folder name and matches only that exact path; "
                f"write '{folder}/**' to claim what is inside it",
            )
            continue
        glob = compile_glob(body)
        if not any(glob.fullmatch(path) for path in index.files):
            yield Finding(
                f"{key}[{i}]", f"{pattern!r} matches no tracked file; fix the glob or remove it"
            )
