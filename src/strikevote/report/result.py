"""The result record (``result.json``) of a union vote.

:func:`build_result` combines the per-local tallies with the rules engine's evaluation
(``strikevote.rules.Evaluation.to_json()``, taken as plain data) into one JSON-ready dict.

The document itself is built by :mod:`strikevote.rules.result_doc` (pure, no I/O), the one implementation
shared with the independent verifier, which rebuilds it from the verified archives and compares it with
the published ``result.json`` field by field; this module only turns its errors into :class:`ReportError`.
See that module for the conventions (``ballots = yes + no``, shares rounded to 6 decimals, ...).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from strikevote.report.errors import ReportError
from strikevote.report.formatting import KINDS
from strikevote.rules import result_doc

__all__ = ["FORMAT", "KINDS", "announcement", "build_result"]

FORMAT = result_doc.FORMAT


def build_result(
    *,
    union: str,
    vote_title: str,
    kind: str,
    locals_: Sequence[Mapping[str, Any]],
    evaluation: Mapping[str, Any],
    closed_at: str,
    group: str,
) -> dict[str, Any]:
    """Return the ``result.json`` dict of a vote; raise :class:`ReportError` naming the field on bad input.

    ``locals_``: one mapping per local with ``id, name, delegates, eligible, yes, no, election_uuid,
    election_fingerprint``. ``evaluation``: ``strikevote.rules.Evaluation.to_json()``; its counts must agree
    with the locals' (the popular vote is their sum). Optional evaluation keys kept in ``result["rule"]``:
    ``threshold`` or ``local_threshold`` (the yes share the rule asks of a local, a float, drawn on the chart;
    absent or ``None`` when the rule has no single such threshold), ``counts_locals`` and ``uses_delegates``
    (bools; they shape the announcement).
    """
    try:
        return result_doc.build_result(
            union=union,
            vote_title=vote_title,
            kind=kind,
            locals_=locals_,
            evaluation=evaluation,
            closed_at=closed_at,
            group=group,
        )
    except result_doc.ResultError as exc:
        raise ReportError(exc.field, exc.problem) from None


def announcement(result: Mapping[str, Any]) -> str:
    """The announcement paragraph of a result dict (see :func:`strikevote.rules.result_doc.announcement`)."""
    try:
        return result_doc.announcement(result)
    except result_doc.ResultError as exc:
        raise ReportError(exc.field, exc.problem) from None
