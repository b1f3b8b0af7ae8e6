"""Numbers as the records store them and as people read them: one rule for each, here only.

* A share stored in result.json (``yes_share``, ``turnout``) is :func:`rounded_share`: the quotient rounded to
  6 decimals by Python's :func:`round` (so a verifier in another language must round the binary float
  half to even), ``0.0`` when the denominator is zero; the exact integers are always stored beside it.
* A percentage people read (the announcement, the certificate, its charts) is :func:`percent_one_decimal`:
  one decimal, rounded half up from the exact fraction of the integers, never from a stored share.

Not to be confused with :func:`strikevote.rules.thresholds.share` (the exact :class:`~fractions.Fraction` the rules
decide with) and the rules engine's trace, which prints two decimals of that fraction.
"""

from __future__ import annotations

__all__ = ["percent_one_decimal", "rounded_share", "thousands"]


def rounded_share(part: int, whole: int) -> float:
    """``part / whole`` rounded to 6 decimals; ``0.0`` when ``whole`` is zero."""
    if whole == 0:
        return 0.0
    return round(part / whole, 6)


def percent_one_decimal(part: int, whole: int) -> str:
    """``part / whole`` as a percentage with one decimal, rounded half up from the exact fraction
    (``6077 / 6310`` → ``"96.3%"``, ``1 / 16`` → ``"6.3%"``); ``"0.0%"`` when ``whole`` is zero."""
    if whole <= 0:
        return "0.0%"
    tenths = (2000 * part + whole) // (2 * whole)
    return f"{tenths // 10:,}.{tenths % 10}%"


def thousands(n: int) -> str:
    """An integer with thousands separators: ``6310`` → ``"6,310"``."""
    return f"{n:,}"
