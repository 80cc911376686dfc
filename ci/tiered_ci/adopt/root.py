"""The root project's environments: what `quick` and the root's test tiers install. Pure.

With no install table a tier session installs the root project and the root's
`test` group, and `quick` adds the `lint` group. A repository that keeps its
test tools elsewhere (a `dev` group, a requirements file, an extra, tox) or
has no `lint` group would fail at install on its first CI run, so init writes
the tables that name what the repository has, and says where each came from.
"""

from __future__ import annotations

import re

from tiered_ci.adopt.proposal import Proposal, Reader, read_toml
from tiered_ci.adopt.tooling import async_gap, lint_tooling, test_tooling

__all__ = ["merge_keys", "root_environments"]

_LIST_KEY = re.compile(r"(\w[\w-]*) = \[(.*)\]")


def root_environments(
    files: set[str], read: Reader, proposal: Proposal, *, tiers: list[str], quick_tests: bool
) -> list[str]:
    """Install tables for `tiers` (the root's test tiers init wrote) and `quick`."""
    tooling = test_tooling("", files, read)
    groups = read_toml(read("pyproject.toml")).get("dependency-groups")
    groups = groups if isinstance(groups, dict) else {}
    root = f"root = {'true' if _has_project(files, read) else 'false'}"
    lines: list[str] = []
    needs_tests = tiers or quick_tests
    default = "test" in groups
    if needs_tests:
        where = ", ".join([*tiers, *(["quick"] if quick_tests else [])])
        found = f"from {tooling.source}" if tooling.source else "none found: bare pytest"
        proposal.notes.append(f"test tooling of the root ({where}): {found}")
        if async_gap(tooling, [f for f in files if f.startswith("tests/")], read):
            proposal.notes.append(
                "the root's tests hold async tests, and no pytest-asyncio or anyio is in its "
                "test tooling: add one, else pytest fails them"
            )
    if not default:
        for tier in tiers:
            lines += ["", f"[tool.tiered-ci.tiers.{tier}.install]", root, *tooling.keys]
    lint, whence = lint_tooling(files, read)
    proposal.notes.append(f"lint tooling (quick): {whence}")
    if "lint" not in groups or (quick_tests and not default):
        keys = merge_keys(list(tooling.keys), list(lint)) if quick_tests else list(lint)
        quick_root = root if quick_tests else "root = false"
        lines += ["", "[tool.tiered-ci.tiers.quick.install]", quick_root, *keys]
    return lines


def _has_project(files: set[str], read: Reader) -> bool:
    if "setup.py" in files or "setup.cfg" in files:
        return True
    return "project" in read_toml(read("pyproject.toml"))


def merge_keys(*key_lists: list[str]) -> list[str]:
    """Install key lines merged: two `packages = [...]` lines become one. Pure."""
    merged: dict[str, list[str]] = {}
    for keys in key_lists:
        for line in keys:
            match = _LIST_KEY.fullmatch(line)
            if match is None:
                continue
            items = [i.strip() for i in match.group(2).split(",") if i.strip()]
            bucket = merged.setdefault(match.group(1), [])
            bucket += [i for i in items if i not in bucket]
    return [f"{key} = [{', '.join(items)}]" for key, items in merged.items()]
