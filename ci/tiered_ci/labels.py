"""Pull-request labels that force what runs (`[tool.tiered-ci.labels]`). Pure.

A label a reviewer adds says what the diff cannot: `test-all` runs everything,
`test-billing` runs the billing domain whatever changed. The labels come from the
event payload (`pull_request.labels[].name`, tiered_ci.events); the caller's
workflow must list the `labeled` activity type to plan again when one is added.
"""

from __future__ import annotations

from dataclasses import replace

from tiered_ci.mapping import Reason, Selection
from tiered_ci.model import Config

__all__ = ["forced_all", "with_label_domains"]


def forced_all(labels: tuple[str, ...], config: Config) -> str | None:
    """Why everything runs (a `labels.run-all` label is on the pull request), or None."""
    hit = next((label for label in labels if label in config.labels.run_all), None)
    if hit is None:
        return None
    return f"the pull request has the label {hit!r} (labels.run-all): everything runs"


def with_label_domains(
    labels: tuple[str, ...], config: Config, selection: Selection
) -> tuple[Selection, list[str]]:
    """`selection` with the domains the pull request's labels name (`labels.domains`), and
    a warning for each named domain the config does not have."""
    domains = dict(selection.domains)
    warnings: list[str] = []
    for label in labels:
        for name in config.labels.domains.get(label, ()):
            if name not in config.domains:
                warnings.append(
                    f"labels.domains.{label} names {name!r}, which is no domain; "
                    f"known: {', '.join(config.domains) or 'none'}"
                )
                continue
            reason = Reason(f"domain:{name}", None, None, f"label {label!r} (labels.domains)")
            domains[name] = (*domains.get(name, ()), reason)
    if domains == selection.domains:
        return selection, warnings
    return replace(selection, domains=domains), warnings
