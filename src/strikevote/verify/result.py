"""result.json checked whole, against verified data only (DESIGN.md §3).

The verifier rebuilds the result record the publisher writes from the archives' decrypted counts, vote.json and
the rule evaluated again, with the publisher's own builder (:func:`strikevote.records.result_build.build_result`),
and compares it with the published document field by field; any difference, missing or extra field fails
``result.field``, naming the JSON path.  Only ``closed_at`` cannot be recomputed: it must be an ISO 8601 date
and time with its UTC offset, not before the voting window opened.  The published document is compared as
the JSON it is, never decoded first: a wrong type is a difference like any other.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from strikevote.records.checks import Check
from strikevote.records.result_build import build_result
from strikevote.records.vote import VoteRecord
from strikevote.rules import LocalCount, evaluate, load_rule
from strikevote.verify.checks import Report

__all__ = ["check_result", "diff_documents", "show"]

_MAX_DIFFS: Final = 20


def show(value: Any) -> str:
    """A JSON value, shortened for a check's detail."""
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, float) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def diff_documents(expected: Any, actual: Any, where: str = "") -> list[str]:
    """Every path at which ``actual`` differs from ``expected`` (values, types, missing and extra fields,
    list lengths), as ``"popular.turnout: expected 0.89701, found 0.9"``.  Types are compared strictly:
    ``true`` is not ``1`` and ``1`` is not ``1.0``."""
    out: list[str] = []
    label = where or "(document)"
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{label}: expected an object, found {show(actual)}"]
        for key, value in expected.items():
            path = f"{where}.{key}" if where else key
            if key not in actual:
                out.append(f"{path}: missing (expected {show(value)})")
            else:
                out.extend(diff_documents(value, actual[key], path))
        for key in actual:
            if key not in expected:
                path = f"{where}.{key}" if where else str(key)
                out.append(f"{path}: unexpected field (value {show(actual[key])})")
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{label}: expected a list, found {show(actual)}"]
        if len(actual) != len(expected):
            out.append(f"{label}: {len(actual)} entries, expected {len(expected)}")
        for i, (e, a) in enumerate(zip(expected, actual, strict=False)):
            out.extend(diff_documents(e, a, f"{where}[{i}]"))
        return out
    if type(expected) is not type(actual) or expected != actual:
        return [f"{label}: expected {show(expected)}, found {show(actual)}"]
    return []


def check_result(
    report: Report, vote: VoteRecord, published: dict[str, Any], counts: Sequence[LocalCount], complete: bool
) -> dict[str, Any] | None:
    """The union-wide figures and the rule re-evaluated, then (when every local was ``complete``-ly counted)
    the whole document; returns the rebuilt result.json, or None when it could not be rebuilt."""
    popular = _obj(published.get("popular"))
    tot_yes, tot_no = sum(c.yes for c in counts), sum(c.no for c in counts)
    report.check(
        Check.RESULT_POPULAR,
        (popular.get("yes"), popular.get("no"), popular.get("ballots"))
        == (tot_yes, tot_no, tot_yes + tot_no),
        f"union-wide {tot_yes} yes, {tot_no} no",
    )
    if not counts:
        report.fail(Check.RESULT_FIELD, "no local could be counted, so result.json cannot be rebuilt")
        return None
    evaluation = evaluate(load_rule(vote.terms.rule), counts)  # vote.json's rule: checked when decoded
    delegates = _obj(published.get("delegates"))
    report.check(
        Check.RESULT_RULE,
        evaluation.passed == published.get("passed"),
        f"rule {evaluation.rule} re-evaluated: {'passed' if evaluation.passed else 'failed'}",
    )
    report.check(
        Check.RESULT_DELEGATES,
        (delegates.get("yes"), delegates.get("no"))
        == (evaluation.delegates["yes"], evaluation.delegates["no"]),
        f"delegates {evaluation.delegates['yes']}–{evaluation.delegates['no']}",
    )
    if not complete:  # a local could not be counted, and has failed already
        return None
    closed_at = _closed_at(report, vote, published)
    # with a bad closed_at (failed above), the window's close stands in so the rest is still compared
    expected = build_result(vote, evaluation, closed_at or vote.terms.window.closes).to_json()
    expected["closed_at"] = published.get("closed_at")  # not recomputable: checked by _closed_at
    diffs = diff_documents(expected, published)
    for line in diffs[:_MAX_DIFFS]:
        report.fail(Check.RESULT_FIELD, f"result.json {line}")
    if len(diffs) > _MAX_DIFFS:
        report.fail(Check.RESULT_FIELD, f"result.json: {len(diffs) - _MAX_DIFFS} more differences")
    if not diffs:
        report.check(
            Check.RESULT_FIELD,
            True,
            "result.json equals, field by field, the record rebuilt from the archives, vote.json and the rule",
        )
    return expected


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _closed_at(report: Report, vote: VoteRecord, published: dict[str, Any]) -> datetime | None:
    """The published ``closed_at`` when well formed (it cannot be recomputed), else fail and return None."""
    value = published.get("closed_at")
    try:
        closed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        closed = None
    if closed is None or closed.tzinfo is None:
        report.fail(
            Check.RESULT_FIELD,
            f"closed_at: expected an ISO 8601 date and time with its offset, found {show(value)}",
        )
        return None
    opens = vote.terms.window.opens
    if closed < opens:
        report.fail(Check.RESULT_FIELD, f"closed_at: {value} is before the voting window opened ({opens})")
        return None
    return closed
