"""Pure: a test session's share of an impact selection ("X of Y tests, because ...").

Every test session runs `--impact-select` over the tests of its own paths, so its
line in a step summary counts only those: the selected tests under the session's
paths, of the map's tests under them. The paths come from the configuration the
way the sessions use them (`tiered_ci.nox`): `unit` and `integration` run their
tier's paths minus what a domain owns when the plan fans out, a domain's sessions
run the domain's tests. Markers (`-m`) are not applied: the map does not record
them, so a tier chosen by markers alone counts every test under its paths.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from tiered_ci.escape import markdown_code
from tiered_ci.model import Config, Domain

__all__ = ["SessionTests", "plan_section", "session_line", "session_tests"]

_VERSION = re.compile(r"-\d+(\.\d+)*$")  # nox's per-Python suffix: unit-3.12


@dataclass(frozen=True, slots=True)
class SessionTests:
    """The test paths a session runs (relative to the root; "" is everything) and the
    paths inside them it leaves to other sessions."""

    paths: tuple[str, ...]
    left_out: tuple[str, ...] = ()

    def runs(self, node_id: str) -> bool:
        file = node_id.split("::", 1)[0]
        return any(_under(file, p) for p in self.paths) and not any(
            _under(file, p) for p in self.left_out if p not in ("", ".")
        )

    def count(self, tests: Iterable[str]) -> int:
        return sum(1 for t in tests if self.runs(t))


def session_tests(config: Config, session: str, args: Sequence[str] = ()) -> SessionTests | None:
    """What a test session runs, by its name (`unit`, `unit-3.12`, `integration`,
    `domain-shard(api)`, `domain-integration(api-3.12)`) and the pytest arguments its
    matrix entry passes (the `--ignore=` of a tier's remainder); None for any other."""
    kind, _, inner = session.partition("(")
    kind = _VERSION.sub("", kind)
    ignored = tuple(a.removeprefix("--ignore=") for a in args if a.startswith("--ignore="))
    if kind in ("unit", "integration") and not inner:
        return SessionTests(config.tier(kind).paths or ("",), ignored)
    # A version-axis variant (`api@dbt-core==1.7.0`) runs its domain's tests.
    domain = _domain(config, inner.removesuffix(")").split("@", 1)[0])
    if domain is None:
        return None
    if kind == "domain-shard":  # its integration tests are domain-integration's
        return SessionTests(domain.tests, (*domain.integration_tests, *ignored))
    if kind == "domain-integration":
        return SessionTests(domain.integration_tests, ignored)
    return None


def _domain(config: Config, name: str) -> Domain | None:
    if name in config.domains:
        return config.domains[name]
    base = _VERSION.sub("", name)
    return config.domains.get(base)


def _under(file: str, path: str) -> bool:
    root = path.removeprefix("./").rstrip("/")
    return root in ("", ".") or file == root or file.startswith(f"{root}/")


def session_line(session: str, selection: Mapping[str, object], tests: SessionTests | None) -> str:
    """`**unit**: impact: 12 of 340 tests, because ...`: counted over the session's tests
    (over the whole map when `tests` is None). Reasons name changed paths, which come
    from the pull request: they are code spans (a path holding HTML renders as text)."""
    selected = _strings(selection.get("tests"))
    everything = [*selected, *_strings(selection.get("unaffected_tests"))]
    if tests is not None:
        selected = [t for t in selected if tests.runs(t)]
        everything = [t for t in everything if tests.runs(t)]
    head = f"**{session}**: impact:"
    mode = selection.get("mode")
    if mode == "all":
        why = markdown_code(str(selection.get("fallback_reason")))
        return f"{head} all {len(everything)} tests, because {why}"
    if not selected:
        return f"{head} 0 of {len(everything)} tests, because no change reaches its tests"
    return f"{head} {len(selected)} of {len(everything)} tests, because {_because(selection)}"


def _because(selection: Mapping[str, object]) -> str:
    reasons = selection.get("reasons")
    whys = [
        str(r.get("why"))
        for r in (reasons if isinstance(reasons, list) else [])[:3]
        if isinstance(r, Mapping)
    ]
    return "; ".join(markdown_code(w) for w in whys) or "the map says so"


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def plan_section(
    note: str,
    selection: Mapping[str, object] | None,
    matrix: Iterable[tuple[str, str]],
    config: Config,
) -> str:
    """The plan's step summary about impact: the overall line, then one line per test
    session of the matrix (`(session, args)` of its entries), each counted over that
    session's tests; a session split into shards is one line."""
    lines = ["", markdown_code(note), ""]
    if selection is not None:
        for session, args in dict.fromkeys(
            (name, " ".join(a for a in args.split() if not a.startswith("--shard=")))
            for name, args in matrix
        ):
            tests = session_tests(config, session, args.split())
            if tests is not None:
                lines.append(f"- {session_line(session, selection, tests)}")
    return "\n".join(lines) + "\n"
