"""Counts, exact shares and thresholds: the numbers a rule compares (:class:`LocalCount`, :func:`share`,
:class:`Threshold`).  Shares are exact :class:`fractions.Fraction` values; a share whose denominator is zero
(no ballots, no eligible members, no locals, no delegates) is defined as ``0``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

__all__ = ["MAJORITY", "Comparison", "LocalCount", "Threshold", "percent", "share"]


def share(part: int, whole: int) -> Fraction:
    """``part / whole`` exactly, or ``0`` when ``whole`` is zero."""
    return Fraction(part, whole) if whole else Fraction(0)


@dataclass(frozen=True)
class LocalCount:
    """Verified counts of one local on a yes/no question (every ballot is yes or no)."""

    id: str
    name: str
    delegates: int
    eligible: int
    yes: int
    no: int

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise ValueError(f"local id must be a non-empty string, got {self.id!r}")
        for attr in ("delegates", "eligible", "yes", "no"):
            value = getattr(self, attr)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"local {self.id}: {attr} must be a non-negative integer, got {value!r}")
        if self.yes + self.no > self.eligible:
            raise ValueError(
                f"local {self.id}: {self.yes + self.no} ballots exceed the {self.eligible} eligible members"
            )

    @property
    def ballots(self) -> int:
        return self.yes + self.no

    @property
    def turnout(self) -> Fraction:
        """Ballots over eligible members (0 when nobody is eligible)."""
        return share(self.ballots, self.eligible)

    @property
    def yes_share(self) -> Fraction:
        """Yes over ballots (0 when there are no ballots)."""
        return share(self.yes, self.ballots)


class Comparison(StrEnum):
    """How a share is compared with a threshold value."""

    GE = ">="
    GT = ">"
    LE = "<="
    LT = "<"

    @property
    def symbol(self) -> str:
        return {">=": "≥", ">": ">", "<=": "≤", "<": "<"}[self.value]

    @property
    def is_lower_bound(self) -> bool:
        """True for ``>=`` and ``>`` (the share must reach the value)."""
        return self in (Comparison.GE, Comparison.GT)


@dataclass(frozen=True)
class Threshold:
    """``share OP value`` with an exact value in [0, 1].

    Ties: with ``>=`` a share exactly at the value meets the threshold (3 yes of 4 ballots meets ``>= 3/4``);
    with ``>`` it does not (2 yes of 4 does not meet ``> 1/2``, so a tie fails a strict majority).
    """

    op: Comparison
    value: Fraction

    def __post_init__(self) -> None:
        if not 0 <= self.value <= 1:
            raise ValueError(f"threshold value must lie in [0, 1], got {self.value}")

    def holds(self, value: Fraction) -> bool:
        if self.op is Comparison.GE:
            return value >= self.value
        if self.op is Comparison.GT:
            return value > self.value
        if self.op is Comparison.LE:
            return value <= self.value
        return value < self.value

    def least_count(self, total: int) -> int | None:
        """The least ``k`` with ``k / total`` meeting a lower-bound threshold (``None`` for ``<``/``<=``).
        May exceed ``total`` when the threshold cannot be met (``> 1``)."""
        num, den = self.value.numerator * total, self.value.denominator
        if self.op is Comparison.GE:
            return -(-num // den)
        if self.op is Comparison.GT:
            return num // den + 1
        return None

    def to_spec(self) -> str:
        """The threshold as written in a rule table, e.g. ``">= 3/4"``."""
        return f"{self.op.value} {self.value.numerator}/{self.value.denominator}"

    def value_text(self) -> str:
        """``75%``, ``40%``, ``66.5%``, or ``2/3 (66.67%)`` when the percentage is not a short decimal."""
        pct = self.value * 100
        if pct.denominator == 1:
            return f"{pct.numerator}%"
        if (pct * 100).denominator == 1:
            return f"{float(pct):g}%"
        return f"{self.value.numerator}/{self.value.denominator} ({percent(self.value)})"

    def __str__(self) -> str:
        return f"{self.op.symbol} {self.value_text()}"


def percent(value: Fraction) -> str:
    """An exact share rounded half-to-even to two decimals: ``Fraction(6077, 6310)`` → ``"96.31%"``."""
    rounded = round(value * 100, 2)
    return f"{float(rounded):.2f}%"


MAJORITY = Threshold(Comparison.GT, Fraction(1, 2))
"""A strict majority: more than half (a tie fails)."""
