from __future__ import annotations

from datetime import date

import pytest

from common.ids import is_valid, make_id
from common.periods import Month


def test_ids_are_deterministic_and_valid() -> None:
    first = make_id("ord", "web-1001")
    assert first == make_id("ord", "web-1001")
    assert first != make_id("ord", "web-1002")
    assert is_valid(first, "ord")
    assert not is_valid(first, "inv")


def test_a_typo_fails_the_check_character() -> None:
    ident = make_id("inv", "o-1")
    body = ident[4:]
    # The first character has weight 1, so any single change to it moves the check.
    typo = ("1" if body[0] != "1" else "2") + body[1:]
    assert is_valid(ident)
    assert not is_valid(f"inv_{typo}")


def test_bad_prefix_is_rejected() -> None:
    with pytest.raises(ValueError, match="id prefix 'Invoice': expected 2-5 lowercase letters"):
        make_id("Invoice", "x")


def test_month_parse_and_bounds() -> None:
    december = Month.parse("2025-12")
    assert (december.start, december.end) == (date(2025, 12, 1), date(2026, 1, 1))
    assert december.contains(date(2025, 12, 31))
    assert not december.contains(date(2026, 1, 1))
    assert str(Month.of(date(2026, 3, 9))) == "2026-03"


@pytest.mark.parametrize("text", ["2026-13", "2026-1", "26-01", ""])
def test_month_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="expected YYYY-MM"):
        Month.parse(text)
