"""Poetry's dependency groups as the requirements a session installs. Pure.

A Poetry project keeps its test tools in `[tool.poetry.group.<name>.dependencies]`
(or the older `[tool.poetry.dev-dependencies]`), written in Poetry's own
constraint language; the sessions install with uv, which reads PEP 508. The
translation covers what those tables hold in practice: caret (`^1.2`), tilde
(`~1.2`), wildcard (`1.2.*`, `*`), bare (`1.2.3`) and PEP 440 constraints,
`extras`, `markers`, a `python` constraint, `git`/`url` sources and lists of
constraints split by marker. A path dependency (a folder of the repository)
is left out and named: it needs an editable install of its own.
"""

from __future__ import annotations

import re

__all__ = ["group_requirements", "requirement", "specifier"]


def group_requirements(tool: object, names: tuple[str, ...]) -> tuple[str, list[str], list[str]]:
    """The first of `names` that `tool.poetry` declares as a group (or `dev` as the older
    `dev-dependencies`): its name, its requirements, and what could not be translated.
    ("", [], []) when the project declares none of them."""
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    if not isinstance(poetry, dict):
        return "", [], []
    groups = poetry.get("group")
    groups = groups if isinstance(groups, dict) else {}
    for name in names:
        group = groups.get(name)
        deps = group.get("dependencies") if isinstance(group, dict) else None
        if name == "dev" and not isinstance(deps, dict):
            deps = poetry.get("dev-dependencies")
        if isinstance(deps, dict):
            found: list[str] = []
            skipped: list[str] = []
            for package, spec in deps.items():
                translated = requirement(str(package), spec)
                if translated:
                    found += translated
                else:
                    skipped.append(str(package))
            return name, found, skipped
    return "", [], []


def requirement(name: str, spec: object) -> list[str]:
    """PEP 508 lines for one Poetry dependency; [] when it cannot be translated."""
    if isinstance(spec, list):
        lines = [requirement(name, one) for one in spec]
        return [line for found in lines for line in found] if all(lines) else []
    if isinstance(spec, str):
        spec = {"version": spec}
    if not isinstance(spec, dict) or "path" in spec:
        return []
    extras = spec.get("extras")
    named = name + (
        f"[{','.join(map(str, extras))}]" if isinstance(extras, list) and extras else ""
    )
    marker = _marker(spec)
    if marker is None:
        return []
    tail = f" ; {marker}" if marker else ""
    if "git" in spec:
        ref = next((str(spec[k]) for k in ("rev", "tag", "branch") if k in spec), "")
        url = str(spec["git"])
        url = url if url.startswith("git+") else f"git+{url}"
        return [f"{named} @ {url}{'@' + ref if ref else ''}{tail}"]
    if "url" in spec:
        return [f"{named} @ {spec['url']}{tail}"]
    version = specifier(str(spec.get("version", "*")))
    return [f"{named}{version}{tail}"] if version is not None else []


def _marker(spec: dict[str, object]) -> str | None:
    """The PEP 508 marker of a dependency's `markers` and `python`; None when the python
    constraint is not one this module translates."""
    parts = [f"({spec['markers']})"] if isinstance(spec.get("markers"), str) else []
    python = spec.get("python")
    if isinstance(python, str) and python.strip() not in ("", "*"):
        version = specifier(python)
        if not version:
            return None
        parts += [f'python_version {op} "{v}"' for op, v in _clauses(version)]
    return " and ".join(parts)


def _clauses(version: str) -> list[tuple[str, str]]:
    """`>=3.9,<4` as (operator, version) pairs; python_version compares major.minor."""
    found = []
    for clause in version.split(","):
        match = re.fullmatch(r"\s*(~=|==|!=|<=|>=|<|>)\s*([\w.*]+)\s*", clause)
        if match:
            found.append((match.group(1), match.group(2)))
    return found


def specifier(constraint: str) -> str | None:
    """A Poetry version constraint as a PEP 440 specifier (`""` for any version); None
    when it is not one this module knows (an `||` alternative)."""
    constraint = constraint.strip()
    if constraint in ("", "*"):
        return ""
    if "||" in constraint or "|" in constraint:
        return None
    clauses = [c for c in re.split(r"\s*,\s*|\s+(?=[<>=!~^])", constraint) if c]
    translated = [_clause(c) for c in clauses]
    if any(c is None for c in translated):
        return None
    return ",".join(c for c in translated if c)


def _clause(clause: str) -> str | None:
    match = re.fullmatch(r"(\^|~=|~|==|!=|<=|>=|<|>|=)?\s*(\d+(?:\.\d+)*)(\.\*)?([\w.+-]*)", clause)
    if not match:
        return None
    operator, release, wildcard, rest = match.groups()
    parts = [int(p) for p in release.split(".")]
    if wildcard:
        return f"=={release}.*" if operator in (None, "==", "=") and not rest else None
    if operator == "^":
        # Up to the next change of the first non-zero part (^0.2.3: <0.3.0; ^1.2: <2.0.0).
        index = next((i for i, p in enumerate(parts) if p), len(parts) - 1)
        upper = [*parts[:index], parts[index] + 1]
        return f">={release}{rest},<{'.'.join(map(str, upper))}"
    if operator == "~":
        # ~1.2.3 and ~1.2: <1.3; ~1: <2.
        upper = [parts[0] + 1] if len(parts) == 1 else [parts[0], parts[1] + 1]
        return f">={release}{rest},<{'.'.join(map(str, upper))}"
    if operator in (None, "="):
        return f"=={release}{rest}"
    return f"{operator}{release}{rest}"
