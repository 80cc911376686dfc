from __future__ import annotations

from decimal import Decimal

import pytest

from app.d1_targeting.segments import (
    DEFAULT_SEGMENTS,
    Customer,
    Rule,
    Segment,
    best_segment,
    discount_for,
)
from common.money import Money


def customer(spend: str = "0.00 EUR", country: str = "DE", *tags: str) -> Customer:
    return Customer("c-1", country, Money.parse(spend), frozenset(tags))


@pytest.mark.critical
def test_largest_matching_discount_wins() -> None:
    staff_and_loyal = customer("2000.00 EUR", "DE", "staff")
    best = best_segment(staff_and_loyal, DEFAULT_SEGMENTS)
    assert best is not None
    assert best.name == "staff"


def test_spend_threshold_is_inclusive() -> None:
    assert discount_for(customer("1000.00 EUR"), DEFAULT_SEGMENTS) == Decimal("0.10")
    assert discount_for(customer("999.99 EUR"), DEFAULT_SEGMENTS) == Decimal(0)


def test_spend_in_another_currency_does_not_count() -> None:
    assert discount_for(customer("5000.00 SEK", "DE"), DEFAULT_SEGMENTS) == Decimal(0)


def test_country_rule() -> None:
    assert discount_for(customer(country="FI"), DEFAULT_SEGMENTS) == Decimal("0.05")


def test_rules_of_a_segment_are_anded() -> None:
    vip_nordic = Segment(
        "vip-nordic",
        Decimal("0.20"),
        (Rule(countries=frozenset({"SE"})), Rule(tag="vip")),
    )
    assert vip_nordic.matches(customer("0.00 EUR", "SE", "vip"))
    assert not vip_nordic.matches(customer("0.00 EUR", "SE"))
    assert not vip_nordic.matches(customer("0.00 EUR", "DE", "vip"))


def test_tie_goes_to_first_listed() -> None:
    first = Segment("first", Decimal("0.05"))
    second = Segment("second", Decimal("0.05"))
    assert best_segment(customer(), [first, second]) is first
