"""Load and validate `[tool.tiered-ci]` into frozen value objects.

Validation happens once, here, and every message names the full key
(`tool.tiered-ci.services.api.paths: expected a list of globs, got str`) so a
user can find it. Unknown keys are kept (`Config.unknown_keys`) rather than
rejected at load, so an older tiered-ci still runs a newer config;
`tiered-ci check-config` reports them.
"""

from __future__ import annotations

import graphlib
import math
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Literal, cast

from tiered_ci._toml import tomllib
from tiered_ci.backing.model import BackingService
from tiered_ci.backing.parse import check_needs, parse_services
from tiered_ci.errors import ConfigError
from tiered_ci.events import is_branch_name
from tiered_ci.globs import GlobError, compile_glob
from tiered_ci.model import (
    CACHE_MODES,
    COMPOSE_FILES,
    DEFAULT_INSTALL,
    DEFAULT_MARKERS,
    DEFAULT_TRIGGERS,
    MATRIX_LIMIT,
    MAX_DEEPEN_BUDGET,
    PREFIX,
    SESSION_KINDS,
    TRIGGER_KINDS,
    UNMAPPED_POLICIES,
    Config,
    Domain,
    Family,
    Impact,
    Install,
    Labels,
    Member,
    Service,
    Tier,
    TriggerPolicy,
    UnmappedPolicy,
)
from tiered_ci.tree import Tree, WorkTree

__all__ = [
    "CACHE_MODES",
    "COMPOSE_FILES",
    "DEFAULT_INSTALL",
    "DEFAULT_TRIGGERS",
    "MAX_DEEPEN_BUDGET",
    "PREFIX",
    "SESSION_KINDS",
    "TRIGGER_KINDS",
    "UNMAPPED_POLICIES",
    "Config",
    "Domain",
    "Install",
    "Member",
    "Service",
    "Tier",
    "TriggerPolicy",
    "UnmappedPolicy",
    "load",
    "parse",
]

# An image repository as builders parse it: an optional registry host (it has a '.' or
# a ':port', or is localhost), then lower-case path components. Upper case is rejected
# by docker, podman and buildah alike, so it is an error here and not at build time.
_IMAGE_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_IMAGE_NAME = re.compile(
    r"(?:(?:localhost|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)(?::[0-9]+)?/|[A-Za-z0-9-]+:[0-9]+/)?"
    rf"{_IMAGE_COMPONENT}(?:/{_IMAGE_COMPONENT})*"
)

# --- loading ----------------------------------------------------------------


def load(root: Path, config_file: Path | None = None, tree: Tree | None = None) -> Config:
    """Read `[tool.tiered-ci]` from `config_file`, else `pyproject.toml` of `tree` (default:
    the work tree under `root`; `--head REV` passes REV's tree)."""
    if config_file is not None:
        if not config_file.is_file():
            raise ConfigError(
                f"{config_file}: config file not found; pass an existing TOML file to --config"
            )
        try:
            text = config_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{config_file}: cannot read: {exc}") from exc
        path = config_file
    else:
        path = root / "pyproject.toml"
        found = (tree or WorkTree(root)).read_text("pyproject.toml")
        if found is None:
            return Config(root=root, source=None, table_found=False)
        text = found
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    except RecursionError:
        raise ConfigError(f"{path}: not valid TOML: arrays or tables nested too deeply") from None
    tool = document.get("tool", {})
    if not isinstance(tool, dict):
        # PEP 518 makes `tool` a table; `tool = "x"` is a broken pyproject, not a missing table.
        raise ConfigError(f"{path}: tool: expected a table, got {_type(tool)}")
    table = tool.get("tiered-ci")
    if table is None:
        return replace(parse({}, root=root, source=path), table_found=False)
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: {PREFIX}: expected a table, got {_type(table)}")
    return _expand_families(parse(table, root=root, source=path), tree or WorkTree(root), path)


def _expand_families(config: Config, tree: Tree, path: Path) -> Config:
    """Generated domains from the tree the config was read from (work tree or `--head`)."""
    if not config.families:
        return config
    from tiered_ci import families  # noqa: PLC0415 - only generated domains need it (plan latency)

    try:
        return families.expand(config, tree)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def parse(table: Mapping[str, object], *, root: Path, source: Path | None = None) -> Config:
    """Validate a `[tool.tiered-ci]` table (already parsed TOML) into a Config."""
    where = f"{source}: " if source is not None else ""
    try:
        return _parse(table, root=root, source=source)
    except _Invalid as exc:
        raise ConfigError(f"{where}{exc}") from None


class _Invalid(Exception):
    pass


_TOP_KEYS = frozenset(
    {
        "default-branch",
        "ignore",
        "run-all",
        "unmapped",
        "tiers",
        "domains",
        "services",
        "domain-families",
        "triggers",
        "durations",
        "shard-overhead-seconds",
        "deepen-budget",
        "services-from",
        "cache",
        "coverage",
        "impact",
        "lock",
        "backing-services",
    }
)
_TIER_KEYS = frozenset(
    {
        "pytest-args",
        "needs",
        "paths",
        "markers",
        "workers",
        "budget-seconds",
        "target-seconds",
        "install",
        "python",
        "run-pytest",
        "fan-out",
        "max-jobs",
    }
)
_DOMAIN_KEYS = frozenset(
    {
        "paths",
        "tests",
        "integration-tests",
        "install",
        "python",
        "depends-on",
        "needs",
        "pytest-args",
        "workers",
        "matrix",
    }
)
_FAMILY_KEYS = frozenset(
    {
        "folders",
        "name",
        "paths",
        "tests",
        "integration-tests",
        "install",
        "python",
        "exclude",
        "dependencies",
        "depends-on",
        "members",
        "needs",
        "pytest-args",
        "workers",
        "matrix",
    }
)
_MEMBER_KEYS = frozenset({"install", "python", "needs", "pytest-args", "workers", "matrix"})
_INSTALL_KEYS = frozenset({"root", "editable", "requirements", "groups", "extras", "packages"})
_SERVICE_KEYS = frozenset(
    {
        "context",
        "dockerfile",
        "paths",
        "image",
        "target",
        "args",
        "depends-on",
        "additional-contexts",
    }
)
_TRIGGER_KEYS = frozenset({"always", "affected"})
_COVERAGE_KEYS = frozenset({"fail-under"})
_IMPACT_KEYS = frozenset({"enabled", "map", "max-age-days"})


def _parse(table: Mapping[str, object], *, root: Path, source: Path | None) -> Config:
    unknown = _unknown(table, _TOP_KEYS, PREFIX)
    try:
        backing, backing_unknown = parse_services(table.get("backing-services"))
    except ConfigError as exc:
        raise _Invalid(str(exc)) from None
    unknown += backing_unknown
    tiers, domains, services, triggers = {}, {}, {}, dict(DEFAULT_TRIGGERS)
    for name, sub in _subtables(table, "tiers").items():
        key = f"{PREFIX}.tiers.{name}"
        unknown += _unknown(sub, _TIER_KEYS, key)
        tiers[name] = _tier(name, sub, key, unknown, backing)
    for name, sub in _subtables(table, "domains").items():
        key = f"{PREFIX}.domains.{name}"
        _check_name(name, "domains", "domain")
        unknown += _unknown(sub, _DOMAIN_KEYS, key)
        paths = _globs(sub, "paths", key, required=True)
        if not paths:
            # An empty list claims nothing: the domain's shard would never be selected.
            raise _Invalid(f"{key}.paths: empty; list at least one glob of the sources it owns")
        tests = _globs(sub, "tests", key, kind="a list of test paths")
        domains[name] = Domain(
            name=name,
            paths=paths,
            tests=tests,
            install=_install(sub, key, unknown),
            python=_pythons(sub, key),
            depends_on=_globs(sub, "depends-on", key, kind="a list of domain names"),
            integration_tests=_integration_tests(sub, key, tests),
            needs=_needs(sub, key, backing),
            pytest_args=_pytest_args(sub, key) or (),
            workers=_workers(sub, key),
            matrix=_matrix(sub, key) or {},
        )
    _check_integration_owners(domains)
    families = {}
    for name, sub in _subtables(table, "domain-families").items():
        key = f"{PREFIX}.domain-families.{name}"
        _check_name(name, key, "domain family")
        unknown += _unknown(sub, _FAMILY_KEYS, key)
        families[name] = _family(name, sub, key, unknown, backing)
    for name, sub in _subtables(table, "services").items():
        key = f"{PREFIX}.services.{name}"
        _check_name(name, "services", "service")
        unknown += _unknown(sub, _SERVICE_KEYS, key)
        services[name] = _service(name, sub, key)
    # With compose discovery a depends-on may name a service only the compose file
    # declares; tiered_ci.images.discover checks the merged set instead.
    _check_depends_on(services, known_later=table.get("services-from") is not None)
    for name, sub in _subtables(table, "triggers").items():
        key = f"{PREFIX}.triggers.{name}"
        if name not in TRIGGER_KINDS:
            raise _Invalid(
                f"{PREFIX}.triggers.{name!r}: unknown trigger; expected one of "
                f"{', '.join(TRIGGER_KINDS)}"
            )
        unknown += _unknown(sub, _TRIGGER_KEYS, key)
        default = DEFAULT_TRIGGERS[name]
        triggers[name] = TriggerPolicy(
            always=_sessions(sub, "always", key, default.always),
            affected=_sessions(sub, "affected", key, default.affected),
        )
    coverage = _table(table, "coverage", PREFIX)
    unknown += _unknown(coverage, _COVERAGE_KEYS, f"{PREFIX}.coverage")
    impact = _table(table, "impact", PREFIX)
    unknown += _unknown(impact, _IMPACT_KEYS, f"{PREFIX}.impact")
    return Config(
        root=root,
        source=source,
        default_branch=_branch(table, "default-branch", PREFIX) or "main",
        ignore=_globs(table, "ignore", PREFIX),
        run_all=_globs(table, "run-all", PREFIX),
        unmapped=cast("UnmappedPolicy", _choice(table, "unmapped", PREFIX, UNMAPPED_POLICIES)),
        tiers=tiers,
        domains=domains,
        families=families,
        services=services,
        triggers=triggers,
        durations=_str(table, "durations", PREFIX) or ".test_durations",
        shard_overhead_seconds=_number(table, "shard-overhead-seconds", PREFIX, 30.0),
        deepen_budget=_count(table, "deepen-budget", PREFIX, 500, maximum=MAX_DEEPEN_BUDGET),
        services_from=_services_from(table),
        cache=_choice(table, "cache", PREFIX, CACHE_MODES),
        coverage_fail_under=_optional_number(
            coverage, "fail-under", f"{PREFIX}.coverage", maximum=100.0
        ),
        impact=_impact(impact, f"{PREFIX}.impact"),
        lock=_lock(table),
        labels=_labels(table),
        backing=backing,
        unknown_keys=tuple(unknown),
    )


def _needs(
    sub: Mapping[str, object], key: str, backing: Mapping[str, BackingService]
) -> tuple[str, ...]:
    """`needs = ["db", "cache"]`: backing services, each declared."""
    needs = _globs(sub, "needs", key, kind="a list of backing service names")
    try:
        check_needs(key, needs, backing)
    except ConfigError as exc:
        raise _Invalid(str(exc)) from None
    return needs


def _tier(
    name: str,
    sub: Mapping[str, object],
    key: str,
    unknown: list[str],
    backing: Mapping[str, BackingService],
) -> Tier:
    workers = _workers(sub, key)
    paths = _globs(sub, "paths", key, kind="a list of test paths")
    markers = _str(sub, "markers", key)
    return Tier(
        name=name,
        paths=paths,
        markers=markers
        if markers is not None or paths or name != "quick"
        else DEFAULT_MARKERS[name],
        workers=workers,
        budget_seconds=_optional_number(sub, "budget-seconds", key),
        target_seconds=_optional_number(sub, "target-seconds", key),
        install=_install(sub, key, unknown),
        python=_pythons(sub, key),
        run_pytest=_bool(sub, "run-pytest", key, default=True),
        fan_out=_bool(sub, "fan-out", key, default=True),
        max_jobs=_max_jobs(sub, key),
        needs=_needs(sub, key, backing),
        pytest_args=_pytest_args(sub, key) or (),
    )


_DEFAULT_IMPACT = Impact()


def _impact(table: Mapping[str, object], key: str) -> Impact:
    enabled = table.get("enabled", False)
    if not isinstance(enabled, bool):
        raise _Invalid(f"{key}.enabled: expected true or false, got {_type(enabled)}")
    return Impact(
        enabled=enabled,
        map=_str(table, "map", key) or _DEFAULT_IMPACT.map,
        max_age_days=_number(table, "max-age-days", key, _DEFAULT_IMPACT.max_age_days),
    )


def _workers(sub: Mapping[str, object], key: str) -> int | Literal["auto"] | None:
    workers = sub.get("workers")
    if workers is not None and workers != "auto" and not _is_int(workers):
        raise _Invalid(f'{key}.workers: expected a whole number or "auto", got {_type(workers)}')
    if _is_int(workers) and cast("int", workers) < 1:
        raise _Invalid(f"{key}.workers: expected at least 1, got {workers}")
    return cast("int | Literal['auto'] | None", workers)


def _pytest_args(sub: Mapping[str, object], key: str) -> tuple[str, ...] | None:
    """`pytest-args`: a list of strings, one argument each; None when not set."""
    value = sub.get("pytest-args")
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _Invalid(
            f"{key}.pytest-args: expected a list of pytest arguments (strings, one argument "
            f'each, e.g. ["-p", "no:randomly"]), got {value!r}'
        )
    return tuple(value)


def _labels(table: Mapping[str, object]) -> Labels:
    key = f"{PREFIX}.labels"
    sub = _table(table, "labels", PREFIX)
    unknown = sorted(set(sub) - {"run-all", "domains"})
    if unknown:
        raise _Invalid(f"{key}.{unknown[0]}: unknown key; expected run-all or domains")
    run_all = sub.get("run-all", [])
    if not isinstance(run_all, list) or not all(isinstance(v, str) and v for v in run_all):
        raise _Invalid(f"{key}.run-all: expected a list of label names, got {run_all!r}")
    domains = sub.get("domains", {})
    if not isinstance(domains, dict):
        raise _Invalid(
            f"{key}.domains: expected a table of label = [domain, ...] "
            f'(e.g. {{ "test-billing" = ["billing"] }}), got {_type(domains)}'
        )
    for label, names in domains.items():
        if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
            raise _Invalid(f"{key}.domains.{label}: expected a list of domain names, got {names!r}")
    return Labels(tuple(run_all), {label: tuple(names) for label, names in domains.items()})


_PACKAGE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")
_VERSION_TEXT = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+!_-]*")


def _matrix(sub: Mapping[str, object], key: str) -> dict[str, tuple[str, ...]] | None:
    """`matrix = { "dbt-core" = ["1.7.0", "1.8.0"] }`: package -> versions; None: unset."""
    value = sub.get("matrix")
    if value is None:
        return None
    example = '{ "dbt-core" = ["1.7.0", "1.8.0"] }'
    if not isinstance(value, dict):
        raise _Invalid(
            f"{key}.matrix: expected a table of package = [version, ...] ({example}), "
            f"got {_type(value)}"
        )
    out: dict[str, tuple[str, ...]] = {}
    for package, versions in value.items():
        if not _PACKAGE.fullmatch(package):
            raise _Invalid(f"{key}.matrix: {package!r} is not a package name")
        if (
            not isinstance(versions, list)
            or not versions
            or not all(isinstance(v, str) and _VERSION_TEXT.fullmatch(v) for v in versions)
        ):
            raise _Invalid(
                f"{key}.matrix.{package}: expected a non-empty list of versions (strings such "
                f'as "1.7.0"), got {versions!r}'
            )
        out[package] = tuple(dict.fromkeys(versions))
    return out


def _lock(table: Mapping[str, object]) -> str | bool:
    value = table.get("lock", True)
    if isinstance(value, bool):
        return value
    if not isinstance(value, str) or not value.strip() or value.startswith("/"):
        raise _Invalid(
            f"{PREFIX}.lock: expected a repository-relative file (uv.lock or a constraints "
            f"file) or false, got {value!r}"
        )
    return value


def _max_jobs(sub: Mapping[str, object], key: str) -> int | None:
    value = sub.get("max-jobs")
    if value is None:
        return None
    if not _is_int(value) or not 1 <= cast("int", value) <= MATRIX_LIMIT:
        raise _Invalid(
            f"{key}.max-jobs: expected a whole number from 1 to {MATRIX_LIMIT}, got {value!r}"
        )
    return cast("int", value)


def _bool(sub: Mapping[str, object], name: str, key: str, *, default: bool) -> bool:
    value = sub.get(name, default)
    if not isinstance(value, bool):
        raise _Invalid(f"{key}.{name}: expected true or false, got {_type(value)}")
    return value


def _family(
    name: str,
    sub: Mapping[str, object],
    key: str,
    unknown: list[str],
    backing: Mapping[str, BackingService],
) -> Family:
    folders = _str(sub, "folders", key)
    if folders is None:
        raise _Invalid(f'{key}.folders: missing; expected a glob of folders ("packages/*")')
    if "**" in folders or folders.startswith(("/", "!")):
        raise _Invalid(
            f"{key}.folders: {folders!r}: expected one `*` per folder level "
            '("packages/*", "libs/*/*"), without `**`, `!` or a leading `/`'
        )
    dependencies = sub.get("dependencies", True)
    if not isinstance(dependencies, bool):
        raise _Invalid(f"{key}.dependencies: expected true or false, got {_type(dependencies)}")
    edges = _table(sub, "depends-on", key)
    manual = {
        domain: _globs(edges, domain, f"{key}.depends-on", kind="a list of domain names")
        for domain in edges
    }
    tests = _globs(sub, "tests", key, kind="a list of test paths") or ("{folder}/tests",)
    integration = _integration_templates(sub, key)
    _check_not_holding(key, integration, tests)
    return Family(
        name=name,
        folders=folders.rstrip("/"),
        domain=_str(sub, "name", key) or "{name}",
        paths=_globs(sub, "paths", key) or ("{folder}/**",),
        tests=tests,
        integration_tests=integration,
        install=_install(sub, key, unknown),
        python=_pythons(sub, key),
        exclude=_globs(sub, "exclude", key, kind="a list of folder globs"),
        dependencies=dependencies,
        depends_on=manual,
        members=_members(sub, key, unknown, backing),
        needs=_needs(sub, key, backing),
        pytest_args=_pytest_args(sub, key) or (),
        workers=_workers(sub, key),
        matrix=_matrix(sub, key) or {},
    )


def _members(
    sub: Mapping[str, object],
    key: str,
    unknown: list[str],
    backing: Mapping[str, BackingService],
) -> dict[str, Member]:
    members: dict[str, Member] = {}
    for domain, table in _table(sub, "members", key).items():
        member_key = f"{key}.members.{domain}"
        if not isinstance(table, dict):
            raise _Invalid(f"{member_key}: expected a table, got {_type(table)}")
        unknown += _unknown(table, _MEMBER_KEYS, member_key)
        members[domain] = Member(
            install=_install(table, member_key, unknown),
            python=_pythons(table, member_key) if "python" in table else None,
            needs=_needs(table, member_key, backing) if "needs" in table else None,
            pytest_args=_pytest_args(table, member_key),
            workers=_workers(table, member_key),
            matrix=_matrix(table, member_key),
        )
    return members


_TEST_PATH_CHARS = frozenset("*?[]{}!")
_TEMPLATE = re.compile(r"\{([^{}]*)\}")


def _test_paths(
    sub: Mapping[str, object], name: str, key: str, *, templates: bool = False
) -> tuple[str, ...]:
    """Repository-relative test folders or files: pytest arguments and `--ignore` targets,
    so a glob, an absolute path or a `..` would select nothing or something else."""
    paths = _globs(sub, name, key, kind="a list of test paths")
    seen: dict[str, int] = {}
    for index, raw in enumerate(paths):
        where = f"{key}.{name}[{index}]"
        path = raw.removeprefix("./").rstrip("/")
        if raw.startswith("/") or ".." in path.split("/") or path in ("", "."):
            raise _Invalid(
                f"{where}: {raw!r} is not a folder inside the repository; write a "
                'repository-relative test folder ("tests/integration/billing")'
            )
        if _TEST_PATH_CHARS.intersection(_TEMPLATE.sub("", path) if templates else path):
            raise _Invalid(
                f"{where}: {raw!r} is a glob; list test folders or files (pytest arguments), "
                'e.g. "tests/integration/billing"'
            )
        if path in seen:
            raise _Invalid(f"{where}: {raw!r} is listed twice (also [{seen[path]}]); list it once")
        seen[path] = index
    return tuple(p.removeprefix("./").rstrip("/") for p in paths)


def _integration_tests(
    sub: Mapping[str, object], key: str, tests: tuple[str, ...]
) -> tuple[str, ...]:
    """A domain's `integration-tests`: they may lie inside its `tests` (the shard then
    leaves them out), never hold them, or the unit tests would run as integration ones."""
    paths = _test_paths(sub, "integration-tests", key)
    _check_not_holding(key, paths, tests)
    return paths


def _check_not_holding(key: str, paths: tuple[str, ...], tests: tuple[str, ...]) -> None:
    for index, path in enumerate(paths):
        for test_index, raw in enumerate(tests):
            test = raw.removeprefix("./").rstrip("/")
            if test == path or test.startswith(f"{path}/"):
                raise _Invalid(
                    f"{key}.integration-tests[{index}]: {path!r} holds tests[{test_index}] "
                    f"({test!r}); list the integration test folder itself "
                    f'(e.g. "{path}/integration"), not the unit tests\' folder'
                )


def _check_integration_owners(domains: Mapping[str, Domain]) -> None:
    """Every integration test belongs to one session: two domains cannot own one path."""
    owners: list[tuple[str, int, str]] = []
    for name, domain in domains.items():
        for index, path in enumerate(domain.integration_tests):
            for other, other_index, owned in owners:
                if path == owned or path.startswith(f"{owned}/") or owned.startswith(f"{path}/"):
                    raise _Invalid(
                        f"{PREFIX}.domains.{name}.integration-tests[{index}]: {path!r} overlaps "
                        f"domains.{other}.integration-tests[{other_index}] ({owned!r}); an "
                        "integration test belongs to one domain: split the folders"
                    )
            owners.append((name, index, path))


def _integration_templates(sub: Mapping[str, object], key: str) -> tuple[str, ...]:
    """A family's `integration-tests` templates: each must name its folder, or every
    package would own the same tests."""
    templates = _test_paths(sub, "integration-tests", key, templates=True)
    for index, template in enumerate(templates):
        where = f"{key}.integration-tests[{index}]"
        unknown = [t for t in _TEMPLATE.findall(template) if t not in ("folder", "name")]
        if unknown:
            raise _Invalid(
                f"{where}: {template!r} uses {{{unknown[0]}}}; the templates are {{folder}} "
                "and {name}"
            )
        if "{folder}" not in template and "{name}" not in template:
            raise _Invalid(
                f"{where}: {template!r} is the same folder for every package; start it with "
                '{folder} (e.g. "{folder}/tests/integration")'
            )
    return templates


def _install(sub: Mapping[str, object], key: str, unknown: list[str]) -> Install | None:
    if "install" not in sub:
        return None
    table = _table(sub, "install", key)
    key = f"{key}.install"
    unknown += _unknown(table, _INSTALL_KEYS, key)
    root = table.get("root", True)
    if not isinstance(root, bool):
        raise _Invalid(f"{key}.root: expected true or false, got {_type(root)}")
    return Install(
        root=root,
        editable=_globs(table, "editable", key, kind="a list of folders"),
        requirements=_globs(table, "requirements", key, kind="a list of requirement files"),
        groups=_globs(table, "groups", key, kind="a list of dependency group names"),
        extras=_globs(table, "extras", key, kind="a list of extra names"),
        packages=_globs(table, "packages", key, kind="a list of requirements"),
    )


def _pythons(sub: Mapping[str, object], key: str) -> tuple[str, ...]:
    value = sub.get("python")
    if isinstance(value, str) and value:
        return (value,)
    versions = _globs(sub, "python", key, kind='a version or a list of versions ("3.12")')
    if len(set(versions)) != len(versions):
        raise _Invalid(f"{key}.python: a version is listed twice; list each once")
    return versions


def _service(name: str, sub: Mapping[str, object], key: str) -> Service:
    context = _str(sub, "context", key) or f"services/{name}"
    context = context.rstrip("/") or "."
    dockerfile = _str(sub, "dockerfile", key) or _join(context, "Dockerfile")
    args = _table(sub, "args", key)
    for arg_name, value in args.items():
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise _Invalid(f"{key}.args.{arg_name}: expected a string, got {_type(value)}")
    contexts = _table(sub, "additional-contexts", key)
    for context_name, value in contexts.items():
        if not isinstance(value, str) or not value:
            raise _Invalid(
                f"{key}.additional-contexts.{context_name}: expected a non-empty string "
                f"(a folder, docker-image://REF or service:NAME), got {_type(value)}"
            )
    image = _str(sub, "image", key)
    _check_image(image, name, key)
    return Service(
        name=name,
        context=context,
        dockerfile=dockerfile,
        image=image or name,
        paths=_globs(sub, "paths", key),
        target=_str(sub, "target", key),
        args={str(k): str(v) for k, v in args.items()},
        depends_on=_globs(sub, "depends-on", key, kind="a list of service names"),
        keys=frozenset(k for k in sub if k in _SERVICE_KEYS),
        contexts={str(k): str(v).rstrip("/") or "." for k, v in contexts.items()},
    )


def _check_depends_on(services: Mapping[str, Service], *, known_later: bool = False) -> None:
    for service in services.values():
        for dep in service.depends_on:
            if dep not in services and not known_later:
                raise _Invalid(
                    f"{PREFIX}.services.{service.name}.depends-on: unknown service {dep!r}; "
                    f"known: {', '.join(sorted(services)) or 'none'}"
                )
    cycle = _cycle({name: s.depends_on for name, s in services.items()})
    if cycle:
        raise _Invalid(
            f"{PREFIX}.services: depends-on cycle {' -> '.join(cycle)}; remove one of the edges"
        )


def _cycle(graph: Mapping[str, tuple[str, ...]]) -> list[str]:
    """One cycle of the depends-on `graph` as a closed path (`a -> b -> a`), or [] when acyclic.

    graphlib reports it along the build order (a dependency before its dependant);
    reversed, it reads along `depends-on`, and it starts at its first name so the
    message does not depend on which edge the sorter met first.
    """
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as error:
        along = list(reversed(error.args[1][:-1]))
        first = along.index(min(along))
        along = along[first:] + along[:first]
        return [*along, along[0]]
    return []


def _services_from(table: Mapping[str, object]) -> tuple[str, ...]:
    value = table.get("services-from")
    if value is None:
        return ()
    if value == "compose":
        return COMPOSE_FILES
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(cast("list[str]", value))
    raise _Invalid(
        f'{PREFIX}.services-from: expected "compose" or a list of compose files, got {_type(value)}'
    )


# --- small typed readers ------------------------------------------------------


def _type(value: object) -> str:
    names = {str: "str", int: "int", float: "float", bool: "bool", list: "list", dict: "table"}
    return names.get(type(value), type(value).__name__)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _join(context: str, name: str) -> str:
    return name if context in ("", ".") else f"{context}/{name}"


def _unknown(table: Mapping[str, object], known: frozenset[str], key: str) -> list[str]:
    return [f"{key}.{name}" for name in table if name not in known]


def _table(table: Mapping[str, object], name: str, key: str) -> dict[str, object]:
    value = table.get(name, {})
    if not isinstance(value, dict):
        raise _Invalid(f"{key}.{name}: expected a table, got {_type(value)}")
    return cast("dict[str, object]", value)


def _subtables(table: Mapping[str, object], name: str) -> dict[str, dict[str, object]]:
    outer = _table(table, name, PREFIX)
    for sub_name, sub in outer.items():
        if not isinstance(sub, dict):
            raise _Invalid(f"{PREFIX}.{name}.{sub_name}: expected a table, got {_type(sub)}")
    return cast("dict[str, dict[str, object]]", outer)


def _str(table: Mapping[str, object], name: str, key: str) -> str | None:
    value = table.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise _Invalid(f"{key}.{name}: expected a non-empty string, got {_type(value)}")
    return value


def _globs(
    table: Mapping[str, object],
    name: str,
    key: str,
    *,
    required: bool = False,
    kind: str = "a list of globs",
) -> tuple[str, ...]:
    value = table.get(name)
    if value is None:
        if required:
            raise _Invalid(f"{key}.{name}: missing; expected {kind}")
        return ()
    if not isinstance(value, list):
        raise _Invalid(f"{key}.{name}: expected {kind}, got {_type(value)}")
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item:
            raise _Invalid(f"{key}.{name}[{index}]: expected a non-empty string, got {_type(item)}")
        if kind == "a list of globs":
            _check_glob(item, f"{key}.{name}[{index}]")
    return tuple(cast("list[str]", value))


def _check_glob(glob: str, key: str) -> None:
    """Compile a config glob now (cached for the mapper), so a broken one names its key."""
    try:
        compile_glob(glob.removeprefix("!"))
    except GlobError as error:
        hint = "write ranges low to high, or escape a literal '[' as '\\['"
        raise _Invalid(f"{key}: {error}; {hint}") from None


def _choice(table: Mapping[str, object], name: str, key: str, choices: tuple[str, ...]) -> str:
    value = table.get(name, choices[0])
    if value not in choices:
        shown = value if isinstance(value, str) else _type(value)
        raise _Invalid(f"{key}.{name}: expected one of {', '.join(choices)}, got {shown!r}")
    return str(value)


def _optional_number(
    table: Mapping[str, object], name: str, key: str, *, maximum: float | None = None
) -> float | None:
    value = table.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Invalid(f"{key}.{name}: expected a number, got {_type(value)}")
    # TOML has nan and inf literals; either would make every comparison downstream lie.
    if not math.isfinite(value):
        raise _Invalid(f"{key}.{name}: expected a finite number, got {value}")
    if value < 0 or (maximum is not None and value > maximum):
        bound = f"between 0 and {maximum:g}" if maximum is not None else ">= 0"
        raise _Invalid(f"{key}.{name}: expected a number {bound}, got {value}")
    return float(value)


def _count(table: Mapping[str, object], name: str, key: str, default: int, *, maximum: int) -> int:
    """A whole number 0..maximum; a float (1.5, nan, inf) is an error, never truncated."""
    value = table.get(name, default)
    if not _is_int(value):
        shown = value if isinstance(value, float) else _type(value)
        raise _Invalid(f"{key}.{name}: expected a whole number, got {shown}")
    number = cast("int", value)
    if not 0 <= number <= maximum:
        raise _Invalid(f"{key}.{name}: expected a whole number from 0 to {maximum}, got {number}")
    return number


def _branch(table: Mapping[str, object], name: str, key: str) -> str | None:
    """A branch name: it becomes a git refspec, so it must be one git would create."""
    value = _str(table, name, key)
    if value is not None and not is_branch_name(value):
        raise _Invalid(f'{key}.{name}: {value!r} is not a valid branch name; write e.g. "main"')
    return value


def _check_name(name: str, table: str, what: str) -> None:
    """A domain or service name becomes a session id, a matrix value and a summary label."""
    if not name.strip():
        raise _Invalid(f'{PREFIX}.{table}."": empty {what} name; name the {what}')
    if any(not char.isprintable() for char in name):
        raise _Invalid(
            f"{PREFIX}.{table}.{name!r}: the {what} name holds a control character (a newline, "
            "a tab); rename it"
        )


def _check_image(image: str | None, name: str, key: str) -> None:
    """The image name builders accept: lower-case path components, an optional registry."""
    if image is None:
        if not _IMAGE_NAME.fullmatch(name):
            raise _Invalid(
                f"{key}: the image name defaults to the service name {name!r}, which is not a "
                "valid image name (lower-case letters, digits, '.', '_', '-'); "
                f'set {key}.image (e.g. image = "{_suggest_image(name)}")'
            )
        return
    if not _IMAGE_NAME.fullmatch(image):
        raise _Invalid(
            f"{key}.image: {image!r} is not a valid image name (an optional registry host, then "
            "lower-case path components of letters, digits, '.', '_', '-', without a tag); "
            "tags come from the commit"
        )


def _suggest_image(name: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", name.lower()).strip("._-") or "app"


def _number(table: Mapping[str, object], name: str, key: str, default: float) -> float:
    value = _optional_number(table, name, key)
    return default if value is None else value


def _sessions(
    table: Mapping[str, object], name: str, key: str, default: tuple[str, ...]
) -> tuple[str, ...]:
    if name not in table:
        return default
    sessions = _globs(table, name, key, kind="a list of session names")
    for index, session in enumerate(sessions):
        if session not in SESSION_KINDS:
            raise _Invalid(
                f"{key}.{name}[{index}]: unknown session {session!r}; "
                f"expected one of {', '.join(SESSION_KINDS)}"
            )
    return sessions
