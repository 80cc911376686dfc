"""`requires-python` against the Python a CI session runs on (tiered_ci.pythons). Pure."""

from __future__ import annotations

import pytest

from tiered_ci.pythons import allows, lowest_allowed


@pytest.mark.parametrize(
    ("spec", "python", "expected"),
    [
        (">=3.14,<4.0", "3.11", False),
        (">=3.14,<4.0", "3.14", True),
        (">=3.10", "3.11", True),
        (">=3.12.4", "3.12", True),  # setup-python installs the newest 3.12
        ("<3.12", "3.12", False),
        ("~=3.10", "3.13", True),
        ("~=3.10.2", "3.11", False),
        ("==3.12.*", "3.12", True),
        ("==3.12.*", "3.11", False),
        ("!=3.11.*, >=3.9", "3.11", False),
        (">3.11", "3.12", True),
        ("3.11", "3.11", None),  # no operator: not a specifier this module reads
        ("", "3.11", None),
    ],
)
def test_allows(spec: str, python: str, expected: bool | None) -> None:
    assert allows(spec, python) is expected


def test_lowest_allowed_is_the_oldest_every_spec_allows() -> None:
    assert lowest_allowed([">=3.14,<4.0"]) == "3.14"
    assert lowest_allowed([">=3.10", ">=3.12"]) == "3.12"
    assert lowest_allowed([">=3.13", "<3.12"]) is None
