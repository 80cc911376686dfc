"""A single project's tiers, and domains where test folders name source folders. Pure."""

from __future__ import annotations

import posixpath

from tiered_ci.adopt.proposal import NAME, Proposal

__all__ = ["tiers_and_domains"]


def tiers_and_domains(files: set[str], proposal: Proposal) -> list[str]:
    folders = {posixpath.dirname(f) for f in files}
    folders |= {p for f in folders for p in _parents(f)}
    unit = "tests/unit" if "tests/unit" in folders else "tests" if "tests" in folders else None
    lines: list[str] = []
    if unit:
        lines += ["", "[tool.tiered-ci.tiers.unit]", f'paths = ["{unit}"]']
        proposal.why.append(f"tiers.unit: {unit}")
    if "tests/integration" in folders:
        lines += [
            "",
            "[tool.tiered-ci.tiers.integration]",
            'paths = ["tests/integration"]',
            'markers = "integration"',
        ]
        proposal.why.append("tiers.integration: tests/integration")
    if unit is None:
        return lines
    sources = {posixpath.basename(f): f for f in sorted(folders) if f.startswith("src/")}
    for test_folder in sorted(f for f in folders if posixpath.dirname(f) == unit):
        name = posixpath.basename(test_folder)
        if name in sources and not name.startswith((".", "_")):
            lines += [
                "",
                f"[tool.tiered-ci.domains.{NAME.sub('-', name.lower())}]",
                f'paths = ["{sources[name]}/**"]',
                f'tests = ["{test_folder}"]',
            ]
            proposal.why.append(f"domains.{name}: {test_folder} tests {sources[name]}")
            integration = f"tests/integration/{name}"
            if integration in folders and integration != test_folder:
                lines.append(f'integration-tests = ["{integration}"]')
                proposal.why.append(f"domains.{name}.integration-tests: {integration}")
    return lines


def _parents(folder: str) -> list[str]:
    parts = folder.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]
