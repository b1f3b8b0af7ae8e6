"""Numbers as the press prints them, computed from exact integers."""

from __future__ import annotations

from typing import Final

__all__ = ["KINDS", "count", "percent", "share"]

KINDS: Final = ("strike-authorization", "ratification")


def share(numerator: int, denominator: int) -> float:
    """``numerator / denominator`` rounded to 6 decimals; ``0.0`` when the denominator is zero."""
    if denominator == 0:
        return 0.0
    return round(numerator / denominator, 6)


def percent(numerator: int, denominator: int) -> str:
    """``numerator / denominator`` as a percentage with one decimal, rounded half up from the exact fraction
    (``6077 / 6310`` → ``"96.3%"``); ``"0.0%"`` when the denominator is zero."""
    if denominator <= 0:
        return "0.0%"
    tenths = (2000 * numerator + denominator) // (2 * denominator)
    return f"{tenths // 10:,}.{tenths % 10}%"


def count(n: int) -> str:
    """An integer with thousands separators: ``6310`` → ``"6,310"``."""
    return f"{n:,}"
