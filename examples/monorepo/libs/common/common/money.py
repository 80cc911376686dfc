"""Money as integer minor units (cents) plus a currency code.

Floats cannot represent most decimal prices exactly, so amounts are integers
and every multiplication by a rate rounds once, half-to-even (the rounding
most tax authorities and accounting ledgers expect).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

_PARSE = re.compile(r"^\s*(-?)(\d+)(?:\.(\d{1,2}))?\s+([A-Z]{3})\s*$")


class CurrencyMismatchError(ValueError):
    """Two amounts in different currencies were combined."""


@dataclass(frozen=True, slots=True, order=True)
class Money:
    cents: int
    currency: str = "EUR"

    @classmethod
    def zero(cls, currency: str = "EUR") -> Money:
        return cls(0, currency)

    @classmethod
    def parse(cls, text: str) -> Money:
        """`"12.30 EUR"` -> Money(1230, "EUR")."""
        match = _PARSE.match(text)
        if match is None:
            raise ValueError(f"not an amount: {text!r}; expected e.g. '12.30 EUR'")
        sign, units, fraction, currency = match.groups()
        cents = int(units) * 100 + int((fraction or "0").ljust(2, "0"))
        return cls(-cents if sign else cents, currency)

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.cents + other.cents, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.cents - other.cents, self.currency)

    def times(self, factor: Decimal | int) -> Money:
        """Multiply by a quantity or a rate, rounding half-to-even to whole cents."""
        exact = Decimal(self.cents) * Decimal(factor)
        return Money(int(exact.quantize(Decimal(1), rounding=ROUND_HALF_EVEN)), self.currency)

    def __str__(self) -> str:
        sign = "-" if self.cents < 0 else ""
        units, cents = divmod(abs(self.cents), 100)
        return f"{sign}{units}.{cents:02d} {self.currency}"

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatchError(f"cannot combine {self.currency} with {other.currency}")


def total(amounts: list[Money], currency: str = "EUR") -> Money:
    """Sum of `amounts`; an empty list is zero in `currency`."""
    result = Money.zero(currency)
    for amount in amounts:
        result += amount
    return result
