"""Segments are ANDed rules over a customer's attributes; the best discount wins."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from common.money import Money


@dataclass(frozen=True, slots=True)
class Customer:
    customer_id: str
    country: str
    lifetime_spend: Money
    tags: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Rule:
    """One condition: `country in {...}`, `spend >= amount` or `has tag`."""

    countries: frozenset[str] = frozenset()
    min_spend: Money | None = None
    tag: str | None = None

    def holds(self, customer: Customer) -> bool:
        if self.countries and customer.country not in self.countries:
            return False
        if self.min_spend is not None and (
            customer.lifetime_spend.currency != self.min_spend.currency
            or customer.lifetime_spend.cents < self.min_spend.cents
        ):
            return False
        return self.tag is None or self.tag in customer.tags


@dataclass(frozen=True, slots=True)
class Segment:
    name: str
    discount: Decimal  # a rate: Decimal("0.10") is ten percent
    rules: tuple[Rule, ...] = field(default=())

    def matches(self, customer: Customer) -> bool:
        return all(rule.holds(customer) for rule in self.rules)


def best_segment(customer: Customer, segments: Sequence[Segment]) -> Segment | None:
    """The matching segment with the largest discount; ties go to the first listed."""
    best: Segment | None = None
    for segment in segments:
        if segment.matches(customer) and (best is None or segment.discount > best.discount):
            best = segment
    return best


def discount_for(customer: Customer, segments: Sequence[Segment]) -> Decimal:
    segment = best_segment(customer, segments)
    return segment.discount if segment is not None else Decimal(0)


DEFAULT_SEGMENTS: tuple[Segment, ...] = (
    Segment("loyal", Decimal("0.10"), (Rule(min_spend=Money(100_000, "EUR")),)),
    Segment("nordics", Decimal("0.05"), (Rule(countries=frozenset({"SE", "NO", "DK", "FI"})),)),
    Segment("staff", Decimal("0.25"), (Rule(tag="staff"),)),
)
