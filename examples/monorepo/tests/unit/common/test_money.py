from __future__ import annotations

import re
from decimal import Decimal

import pytest

from common.money import CurrencyMismatchError, Money, total


@pytest.mark.critical
@pytest.mark.parametrize("text", ["12.30 EUR", "-0.05 SEK", "7.00 USD"])
def test_parse_and_format_round_trip(text: str) -> None:
    assert str(Money.parse(text)) == text


def test_parse_pads_one_decimal() -> None:
    assert Money.parse("12.3 EUR") == Money(1230, "EUR")


def test_parse_rejects_garbage() -> None:
    message = "not an amount: '12,30 EUR'; expected e.g. '12.30 EUR'"
    with pytest.raises(ValueError, match=re.escape(message)):
        Money.parse("12,30 EUR")


@pytest.mark.parametrize(("cents", "expected"), [(5, 2), (15, 8), (25, 12), (-5, -2)])
def test_times_rounds_half_to_even(cents: int, expected: int) -> None:
    assert Money(cents).times(Decimal("0.5")).cents == expected


def test_mixing_currencies_is_an_error() -> None:
    with pytest.raises(CurrencyMismatchError, match="cannot combine EUR with SEK"):
        Money(1, "EUR") + Money(1, "SEK")


def test_total_of_nothing_is_zero_in_the_currency() -> None:
    assert total([], "SEK") == Money(0, "SEK")
