"""The opt-in flags a repository's CI gives pytest, which its conftest defines. Pure.

A conftest may hide tests behind an option of its own: `--integration`,
`--runslow`, `--run-network` (`parser.addoption(...)`, then
`pytest_collection_modifyitems` deselects or skips what the flag did not ask
for). The repository's own CI passes the flag; a tiered-ci session that does not
runs none of those tests, and passes. `init` gives the flags the repository's CI
passes to the tiers that carry its suite (`pytest-args` of `unit` and
`integration`), and says so.
"""

from __future__ import annotations

import re

from tiered_ci.adopt.proposal import Reader

__all__ = ["ci_pytest_flags"]

_ADDOPTION = re.compile(r"addoption\(\s*[\"'](--[A-Za-z0-9][\w-]*)[\"']")
# Where a repository says how it runs pytest in CI.
_CI_FILES = re.compile(
    r"\.github/workflows/[^/]+\.ya?ml|\.gitlab-ci\.yml|tox\.ini|Makefile|noxfile\.py|"
    r"\.circleci/config\.yml|azure-pipelines\.yml|\.cirrus\.yml"
)


def ci_pytest_flags(files: set[str], read: Reader) -> list[tuple[str, str]]:
    """(flag as the CI writes it, the file that passes it) for each option a conftest
    defines that a CI file passes on a pytest command line, in the conftests' order."""
    options: list[str] = []
    for conftest in sorted(f for f in files if f.rsplit("/", 1)[-1] == "conftest.py"):
        options += [o for o in _ADDOPTION.findall(read(conftest) or "") if o not in options]
    if not options:
        return []
    found: list[tuple[str, str]] = []
    for path in sorted(f for f in files if _CI_FILES.fullmatch(f)):
        for line in (read(path) or "").splitlines():
            if not re.search(r"\bpytest\b", line):
                continue
            for option in options:
                match = re.search(rf"(?<![\w-]){re.escape(option)}(?:=\S+)?(?![\w-])", line)
                if match and option not in {f.split("=", 1)[0] for f, _ in found}:
                    found.append((match.group(0), path))
    return found
