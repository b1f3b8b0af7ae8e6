"""Errors raised by :mod:`strikevote.report`."""

from __future__ import annotations

__all__ = ["ReportError"]


class ReportError(ValueError):
    """Invalid input to the report: the message starts with the offending field, e.g. ``locals[2].yes``."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem
