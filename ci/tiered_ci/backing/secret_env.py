"""Named secrets as environment variables of the tests, without forking the workflow.

The reusable workflow hands its run step every secret the caller passed
(`secrets: inherit`) as one JSON object in `CARRIER`, and the caller's
`secrets-env` input (the names to export) in `NAMES`. Only the named ones reach
the tests and the backing services, each as a variable of its own name; the JSON
itself reaches neither. In GitHub Actions each exported value is masked again
(`::add-mask::`), line by line, so a value that a test reshapes still is.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

__all__ = ["CARRIER", "NAMES", "exported", "mask_lines", "without_carrier"]

CARRIER = "TIERED_CI_SECRETS_JSON"
NAMES = "TIERED_CI_SECRETS"


def exported(environ: Mapping[str, str], warn: Callable[[str], None]) -> dict[str, str]:
    """{name: value} for every name `NAMES` lists that the carrier holds; a listed name
    the workflow did not receive is named in a warning with the fix (a pull request
    from a fork gets no secrets: its tests that need one then fail on their own)."""
    names = (environ.get(NAMES) or "").replace(",", " ").split()
    if not names:
        return {}
    try:
        given = json.loads(environ.get(CARRIER) or "{}")
    except ValueError:
        given = {}
    if not isinstance(given, dict):
        given = {}
    out: dict[str, str] = {}
    for name in dict.fromkeys(names):
        value = given.get(name)
        if isinstance(value, str) and value:
            out[name] = value
        else:
            warn(
                f"secret {name} (listed in the secrets-env input) was not passed to the "
                "workflow: call it with `secrets: inherit` and define the secret in the "
                "repository or organisation"
            )
    return out


def mask_lines(values: Mapping[str, str]) -> list[str]:
    """The `::add-mask::` workflow commands that mask every line of every value."""
    return [
        f"::add-mask::{line}"
        for value in values.values()
        for line in value.splitlines()
        if line.strip()
    ]


def without_carrier(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment without the JSON of every secret (services must not inherit it)."""
    return {k: v for k, v in environ.items() if k != CARRIER}
