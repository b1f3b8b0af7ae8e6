"""The result record (``result.json``) of a union vote.

:func:`build_result` combines the per-local tallies with the rules engine's evaluation
(``strikevote.rules.Evaluation.to_json()``, taken as plain data) into one JSON-ready dict.

The document itself is built by :mod:`strikevote.rules.result_doc` (pure, no I/O), the one implementation
shared with the independent verifier, which rebuilds it from the verified archives and compares it with
the published ``result.json`` field by field; this module only turns its errors into :class:`ReportError`.
See that module for the conventions (``ballots = yes + no``, shares rounded to 6 decimals, ...).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from strikevote.report.errors import ReportError
from strikevote.report.formatting import KINDS
from strikevote.rules import result_doc

__all__ = ["FORMAT", "KINDS", "announcement", "build_result"]

FORMAT = result_doc.FORMAT
P = ParamSpec("P")
T = TypeVar("T")


def _as_report_error(fn: Callable[P, T]) -> Callable[P, T]:
    """The shared builder's ResultError, raised as this package's ReportError (same field, same problem)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return fn(*args, **kwargs)
        except result_doc.ResultError as exc:
            raise ReportError(exc.field, exc.problem) from None

    return wrapper


# ``locals_``: one mapping per local with ``id, name, delegates, eligible, yes, no, election_uuid,
# election_fingerprint``; ``evaluation``: ``strikevote.rules.Evaluation.to_json()``, whose counts must agree with
# the locals' (the popular vote is their sum); see result_doc.build_result for the optional evaluation keys.
build_result = _as_report_error(result_doc.build_result)
announcement = _as_report_error(result_doc.announcement)
