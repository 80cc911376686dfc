"""The pure decisions behind the nox sessions: pytest arguments, run ids, budget, gate.

`tiered_ci.nox` registers the sessions and does their I/O; everything here is
plain data in, plain data out, so it is unit-tested without nox.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote, urlparse

from tiered_ci.model import Config, Domain, Tier

__all__ = [
    "ACCEPTED_RESULTS",
    "budget_verdict",
    "coverage_enforced",
    "data_slug",
    "domain_args",
    "gate_problems",
    "impact_fallback_line",
    "impact_summary_line",
    "inside_ignores",
    "marker_names",
    "self_install_spec",
    "shard_id",
    "shard_index",
    "split_posargs",
    "tier_args",
]

ACCEPTED_RESULTS = frozenset({"success", "skipped"})


def tier_args(tier: Tier, *, paths: Sequence[str] | None = None) -> list[str]:
    """pytest arguments of a tier: its paths (or `paths`), -m markers, -n workers, then
    its `pytest-args`."""
    args = list(tier.paths if paths is None else paths)
    if tier.markers:
        args += ["-m", tier.markers]
    if tier.workers is not None:
        args += ["-n", str(tier.workers)]
    return [*args, *tier.pytest_args]


_MARKER_WORD = re.compile(r"[A-Za-z_]\w*")
_OPERATORS = frozenset({"and", "or", "not"})


def marker_names(args: Sequence[str]) -> list[str]:
    """The marker names of the `-m` expression in a tier's pytest arguments, in order
    (a keyword of a `mark(key=1)` call too: registering one more name selects nothing
    else)."""
    expressions = [args[i + 1] for i, arg in enumerate(args[:-1]) if arg == "-m"]
    found: list[str] = []
    for expression in expressions:
        for word in _MARKER_WORD.findall(expression):
            if word not in _OPERATORS and word not in found:
                found.append(word)
    return found


def domain_args(tier: Tier, domain: Domain, paths: Sequence[str]) -> list[str]:
    """pytest arguments of a domain's session: the tier's (markers, workers) over the
    domain's `paths`, its own `workers` in place of the tier's, then its `pytest-args`."""
    workers = domain.workers if domain.workers is not None else tier.workers
    return [*tier_args(replace(tier, workers=workers), paths=paths), *domain.pytest_args]


def inside_ignores(paths: Sequence[str], owned: Sequence[str]) -> list[str]:
    """`--ignore=` for each of `owned` inside one of `paths`: a domain's shard leaves out
    the integration tests in its tests folder, which its integration session runs."""
    roots = [p.removeprefix("./").rstrip("/") for p in paths]
    return [
        f"--ignore={o}"
        for o in owned
        if any(root in ("", ".") or o == root or o.startswith(f"{root}/") for root in roots)
    ]


def shard_id(domain: str, python: str | None, pin: str | None = None) -> str:
    """The parametrize id of a domain's shard: `api`, or `api-3.12` for one version;
    a version-axis variant `api@dbt-core==1.7.0` (`api@dbt-core==1.7.0-3.12`)."""
    name = f"{domain}@{pin}" if pin else domain
    return f"{name}-{python}" if python else name


def shard_index(posargs: Sequence[str]) -> str | None:
    """K of a `--shard=K/N` (or `--shard K/N`) in the pytest arguments, else None."""
    for position, arg in enumerate(posargs):
        value = arg.removeprefix("--shard=") if arg.startswith("--shard=") else None
        if arg == "--shard" and position + 1 < len(posargs):
            value = posargs[position + 1]
        if value is not None and (match := re.fullmatch(r"(\d+)/\d+", value)):
            return match.group(1)
    return None


def data_slug(session_name: str, posargs: Sequence[str]) -> str:
    """A file-name-safe run id: `domain-shard(api)` + `--shard=2/4` -> `...-api.2`."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", session_name).strip("-")
    index = shard_index(posargs)
    return f"{slug}.{index}" if index else slug


def split_posargs(posargs: Sequence[str]) -> tuple[list[str], list[str]]:
    """(tiered-ci arguments, pytest arguments) of `nox -s ci -- ...`.

    `nox -s ci -- --base main` is for the planner; a later `--` separates what the
    selected test sessions get (`-- --base main -- -x`). Sessions never see the
    planner's flags (they made pytest exit 4).
    """
    args = list(posargs)
    if "--" in args:
        cut = args.index("--")
        return args[:cut], args[cut + 1 :]
    return args, []


def budget_verdict(seconds: float, budget: float | None) -> tuple[bool, str]:
    """(over budget?, message) for the quick tier's wall time."""
    key = "tool.tiered-ci.tiers.quick.budget-seconds"
    if budget is None:
        return False, f"quick tier took {seconds:.1f} s (no budget: set {key})"
    if seconds <= budget:
        return False, f"quick tier took {seconds:.1f} s, within its {budget:g} s budget"
    return True, (
        f"OVER BUDGET: the quick tier took {seconds:.1f} s, more than its {budget:g} s "
        f"budget ({key}); move slow tests out of the quick markers or raise the budget"
    )


def gate_problems(needs_json: str | None) -> list[str]:
    """Why the workflow's gate must fail (empty: pass), from `toJSON(needs)`.

    Fails on a failed or cancelled job; a skipped job passes only when the plan
    succeeded (skipped because the plan selected nothing), because branch
    protection counts skipped as passed and a crashed plan must never skip tests.
    """
    if not needs_json:
        usage = "pass `NEEDS_JSON: ${{ toJSON(needs) }}` to the gate step"
        return [f"NEEDS_JSON is empty: {usage}"]
    try:
        needs = json.loads(needs_json)
    except (json.JSONDecodeError, RecursionError) as exc:
        return [f"NEEDS_JSON is not JSON ({exc}); pass toJSON(needs)"]
    if not isinstance(needs, dict) or not needs:
        return ["NEEDS_JSON names no job: list the gated jobs in the gate job's needs"]
    problems = []
    for job, data in needs.items():
        result = data.get("result") if isinstance(data, dict) else None
        if job == "plan" and result != "success":
            why = "no trustworthy plan: everything must run"
            problems.append(f"plan: {result} ({why})")
        elif result not in ACCEPTED_RESULTS:
            problems.append(f"{job}: {result}")
    return problems


def coverage_enforced(data_files: Iterable[str]) -> bool:
    """A whole-suite floor applies only to data that holds a whole-suite run."""
    return any(name.startswith(".coverage.full-e2e") for name in data_files)


def self_install_spec(version: str, direct_url: Mapping[str, object] | None) -> list[str]:
    """How a session installs the tiered-ci that runs nox (PEP 610 `direct_url.json`).

    A checkout installs from its folder (editable stays editable), a wheel from its
    file, a VCS install from the same commit; only an index install pins the
    version, so a checkout or wheel works offline with no index.
    """
    if not direct_url:
        return [f"tiered-ci=={version}"]
    url = str(direct_url.get("url", ""))
    vcs = direct_url.get("vcs_info")
    if isinstance(vcs, dict):
        commit = vcs.get("commit_id") or vcs.get("requested_revision")
        return [f"tiered-ci @ {vcs.get('vcs', 'git')}+{url}{'@' + str(commit) if commit else ''}"]
    parsed = urlparse(url)
    if parsed.scheme != "file":
        return [f"tiered-ci @ {url}"]
    path = str(Path(unquote(parsed.path)))
    dir_info = direct_url.get("dir_info")
    if isinstance(dir_info, dict) and dir_info.get("editable"):
        return ["-e", path]
    return [path]


def impact_summary_line(
    session_name: str,
    selection: Mapping[str, object],
    config: Config | None = None,
    posargs: Sequence[str] = (),
) -> str:
    """The step summary line of a test session that ran an impact selection: counted
    over the session's own tests (its paths, minus the `--ignore=` the matrix passed)
    when `config` says which they are."""
    from tiered_ci.impact import share  # noqa: PLC0415 - only sessions with impact on

    tests = share.session_tests(config, session_name, posargs) if config is not None else None
    return share.session_line(session_name, selection, tests)


def impact_fallback_line(session_name: str, map_path: str) -> str:
    """What a session says when impact selection is on but there is no map to use."""
    return (
        f"**{session_name}**: impact: no map at {map_path} (restored by CI from the default "
        "branch's runs): falling back to the domain rules, every test of the planned session runs"
    )
