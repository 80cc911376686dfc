"""Advice on files init cannot map (paths-filter files, tox.ini) and on what the
sessions leave in the work tree. Pure."""

from __future__ import annotations

import re

from tiered_ci.adopt.proposal import Proposal, Reader, read_toml

__all__ = ["notes"]


def notes(files: set[str], read: Reader, proposal: Proposal) -> None:
    for f in sorted(files):
        if f.startswith(".github/") and re.search(r"filters?\.ya?ml$", f):
            proposal.notes.append(
                f"{f}: a dorny/paths-filter file; `tiered-ci import-filters` turns it into domains"
            )
    tox = read("tox.ini") if "tox.ini" in files else None
    if isinstance(tox, str):
        proposal.notes.append(_tox_note(tox))
    coverage = _coverage_settings(read("pyproject.toml") if "pyproject.toml" in files else None)
    if coverage:
        elsewhere = [f for f in (".coveragerc", "setup.cfg", "tox.ini") if f in files]
        proposal.notes.append(
            "pyproject.toml's [tool.coverage.run] lacks "
            + " and ".join(f"`{key} = true` ({why})" for key, why in coverage)
            + ": add them"
            + (
                f" (the sessions read coverage's settings from pyproject.toml, not {elsewhere[0]})"
                if elsewhere
                else ""
            )
        )
    unlisted = _unignored_outputs(read(".gitignore") if ".gitignore" in files else None)
    if unlisted:
        proposal.notes.append(
            f"the sessions write {' and '.join(unlisted)} at the root, which .gitignore does "
            f"not list: add {'it' if len(unlisted) == 1 else 'them'}, else `git add -A` commits "
            "test reports and coverage data"
        )


_COVERAGE_KEYS = (
    (
        "parallel",
        (
            "else the xdist workers and subprocesses of a session write one data file "
            "over each other"
        ),
    ),
    (
        "relative_files",
        (
            "else the coverage job cannot combine data recorded in another "
            "job's folder, as under act or on self-hosted runners"
        ),
    ),
)


def _coverage_settings(pyproject: str | None) -> list[tuple[str, str]]:
    """The `[tool.coverage.run]` settings the sessions' coverage needs and pyproject.toml
    does not set (the sessions point COVERAGE_PROCESS_START at it)."""
    tool = read_toml(pyproject).get("tool")
    coverage = tool.get("coverage") if isinstance(tool, dict) else None
    run = coverage.get("run") if isinstance(coverage, dict) else None
    run = run if isinstance(run, dict) else {}
    return [(key, why) for key, why in _COVERAGE_KEYS if run.get(key) is not True]


def _unignored_outputs(gitignore: str | None) -> list[str]:
    """What the sessions write at the root (`reports/`, `.coverage.*`) that no line
    of the root .gitignore names (a plain check of its lines, not git's matching)."""
    lines = {line.strip().strip("/") for line in (gitignore or "").splitlines()}
    out = []
    if not lines & {"reports", "reports/*", "reports/**"}:
        out.append("reports/")
    if not lines & {".coverage*", ".coverage.*", "*.coverage*"}:
        out.append(".coverage.*")
    return out


def _tox_note(text: str) -> str:
    """What tox.ini's envlist says about Python versions, as advice. Pure."""
    import configparser  # noqa: PLC0415 - only repositories with tox.ini need it

    parser = configparser.ConfigParser(
        interpolation=None, comment_prefixes=("#", ";"), inline_comment_prefixes=(" #", " ;")
    )
    try:
        parser.read_string(text)
        envlist = parser.get("tox", "envlist", fallback="")
    except configparser.Error:
        envlist = ""
    entries = [e for e in re.split(r"[\s,]+(?![^{]*})", envlist) if e]
    versions: set[int] = set()
    for entry in entries:
        for braced in re.findall(r"py3\{([\d,\s]+)\}", entry):
            versions |= {int(v) for v in re.findall(r"\d+", braced)}
        versions |= {int(v) for v in re.findall(r"py3(\d+)", entry)}
    listed = ", ".join(f'"3.{v}"' for v in sorted(versions))
    advice = (
        f"its environments cover Python {listed.replace(chr(34), '')}: for one session per "
        f"Python add python = [{listed}] to a family or tier"
        if versions
        else "no Python versions found in its envlist"
    )
    return (
        f"tox.ini: {len(entries)} envlist entries; {advice}. tox.ini is unmapped, so a "
        "change to it runs everything: add it to `ignore` once CI runs through nox "
        "(unless it holds pytest or coverage settings)"
    )
