"""The result record (``result.json``) of a union vote.

:func:`build_result` combines the per-local tallies with the rules engine's evaluation
(``strikevote.rules.Evaluation.to_json()``, taken as plain data) into one JSON-ready dict.

Conventions a verifier needs to recompute the figures:

* ``ballots = yes + no`` (abstentions are not ballots);
* ``yes_share = round(yes / ballots, 6)`` and ``turnout = round(ballots / eligible, 6)``, both ``0.0``
  when the denominator is zero; the exact integers are always kept next to them;
* the popular vote is the sum of the locals' counts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from strikevote.report.announce import announcement
from strikevote.report.errors import ReportError
from strikevote.report.formatting import KINDS, share

__all__ = ["FORMAT", "KINDS", "build_result"]

FORMAT: Final = "strikevote-result/1"

_LOCAL_KEYS: Final = (
    "id",
    "name",
    "delegates",
    "eligible",
    "yes",
    "no",
    "election_uuid",
    "election_fingerprint",
)


# --------------------------------------------------------------------------------------------------- checks


def _get(obj: Mapping[str, Any], key: str, field: str) -> Any:
    if key not in obj:
        raise ReportError(f"{field}.{key}" if field else key, "missing")
    return obj[key]


def _mapping(value: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ReportError(field, f"must be an object, got {type(value).__name__}")
    return value


def _count(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ReportError(field, f"must be an integer, got {value!r}")
    if value < 0:
        raise ReportError(field, f"must not be negative, got {value}")
    return value


def _text(value: Any, field: str, *, empty: bool = False) -> str:
    if not isinstance(value, str):
        raise ReportError(field, f"must be a string, got {type(value).__name__}")
    if not empty and not value.strip():
        raise ReportError(field, "must not be empty")
    return value


def _flag(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise ReportError(field, f"must be true or false, got {value!r}")
    return value


def _local_id(value: Any, field: str) -> str | int:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ReportError(field, f"must be a string or an integer, got {value!r}")
    if isinstance(value, str) and not value.strip():
        raise ReportError(field, "must not be empty")
    return value


def _threshold(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ReportError(field, f"must be a number, got {value!r}")
    if not 0.0 <= value <= 1.0:
        raise ReportError(field, f"must be a share between 0 and 1, got {value!r}")
    return float(value)


def _sequence(value: Any, field: str) -> Sequence[Any]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise ReportError(field, f"must be a list, got {type(value).__name__}")
    return value


def _timestamp(value: Any, field: str) -> str:
    text = _text(value, field)
    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise ReportError(field, f"must be an ISO 8601 date and time, got {text!r}") from None
    return text


# --------------------------------------------------------------------------------------------------- build


def _check_local(raw: Any, field: str) -> dict[str, Any]:
    local = _mapping(raw, field)
    for key in _LOCAL_KEYS:
        _get(local, key, field)
    yes = _count(local["yes"], f"{field}.yes")
    no = _count(local["no"], f"{field}.no")
    eligible = _count(local["eligible"], f"{field}.eligible")
    if yes + no > eligible:
        raise ReportError(
            f"{field}.eligible", f"yes + no = {yes + no} exceeds the {eligible} eligible members"
        )
    ballots = yes + no
    return {
        "id": _local_id(local["id"], f"{field}.id"),
        "name": _text(local["name"], f"{field}.name"),
        "delegates": _count(local["delegates"], f"{field}.delegates"),
        "eligible": eligible,
        "ballots": ballots,
        "yes": yes,
        "no": no,
        "yes_share": share(yes, ballots),
        "turnout": share(ballots, eligible),
        "in_favour": False,  # from the evaluation, below
        "delegates_yes": 0,  # from the evaluation, below
        "election_uuid": _text(local["election_uuid"], f"{field}.election_uuid"),
        "election_fingerprint": _text(local["election_fingerprint"], f"{field}.election_fingerprint"),
    }


def _counts_locals(evaluation: Mapping[str, Any], description: str) -> bool:
    """Whether the rule counts locals in favour: the evaluation's ``counts_locals`` flag if it has one,
    else whether its description speaks of locals."""
    if "counts_locals" in evaluation:
        return _flag(evaluation["counts_locals"], "evaluation.counts_locals")
    if evaluation.get("locals_in_favour") is None:
        return False
    words = description.lower().replace(",", " ").replace(".", " ").split()
    return "locals" in words


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
    ``threshold`` or ``local_threshold`` (the per-local yes share the rule asks for, a float; drawn on the
    chart), ``counts_locals`` and ``uses_delegates`` (bools; they shape the announcement).
    """
    union = _text(union, "union")
    vote_title = _text(vote_title, "vote_title")
    if kind not in KINDS:
        raise ReportError("kind", f"must be one of {', '.join(KINDS)}, got {kind!r}")
    closed_at = _timestamp(closed_at, "closed_at")
    group = _text(group, "group")

    locals_list = [_check_local(raw, f"locals[{i}]") for i, raw in enumerate(_sequence(locals_, "locals"))]
    if not locals_list:
        raise ReportError("locals", "must list at least one local")
    by_id: dict[str, dict[str, Any]] = {}
    for i, local in enumerate(locals_list):
        key = str(local["id"])
        if key in by_id:
            raise ReportError(f"locals[{i}].id", f"duplicate local id {local['id']!r}")
        by_id[key] = local

    ev = _mapping(evaluation, "evaluation")
    for key in (
        "rule",
        "description",
        "passed",
        "trace",
        "popular",
        "delegates",
        "locals_in_favour",
        "per_local",
    ):
        _get(ev, key, "evaluation")
    rule_name = _text(ev["rule"], "evaluation.rule")
    description = _text(ev["description"], "evaluation.description", empty=True)
    passed = _flag(ev["passed"], "evaluation.passed")
    trace = [
        _text(line, f"evaluation.trace[{i}]", empty=True)
        for i, line in enumerate(_sequence(ev["trace"], "evaluation.trace"))
    ]

    # Popular vote: recomputed from the locals, and the evaluation must agree.
    yes = sum(local["yes"] for local in locals_list)
    no = sum(local["no"] for local in locals_list)
    eligible = sum(local["eligible"] for local in locals_list)
    ballots = yes + no
    ev_popular = _mapping(ev["popular"], "evaluation.popular")
    for key, total in (("yes", yes), ("no", no), ("ballots", ballots), ("eligible", eligible)):
        if key not in ev_popular and key in ("ballots", "eligible"):
            continue
        field = f"evaluation.popular.{key}"
        value = _count(_get(ev_popular, key, "evaluation.popular"), field)
        if value != total:
            raise ReportError(field, f"{value} does not match the locals' total of {total}")
    popular_passed = _flag(_get(ev_popular, "passed", "evaluation.popular"), "evaluation.popular.passed")

    # Per-local outcome of the rule.
    seen: set[str] = set()
    for i, raw in enumerate(_sequence(ev["per_local"], "evaluation.per_local")):
        field = f"evaluation.per_local[{i}]"
        entry = _mapping(raw, field)
        key = str(_local_id(_get(entry, "id", field), f"{field}.id"))
        if key not in by_id:
            raise ReportError(f"{field}.id", f"unknown local {entry['id']!r}")
        if key in seen:
            raise ReportError(f"{field}.id", f"local {entry['id']!r} listed twice")
        seen.add(key)
        local = by_id[key]
        for count_key in ("yes", "no", "eligible", "delegates"):  # echoed by the rules engine: must agree
            if count_key in entry and entry[count_key] != local[count_key]:
                raise ReportError(
                    f"{field}.{count_key}",
                    f"{entry[count_key]!r} does not match the local's {local[count_key]}",
                )
        local["in_favour"] = _flag(_get(entry, "in_favour", field), f"{field}.in_favour")
        delegates_yes = _count(_get(entry, "delegates_yes", field), f"{field}.delegates_yes")
        if delegates_yes > local["delegates"]:
            raise ReportError(
                f"{field}.delegates_yes",
                f"{delegates_yes} exceeds the local's {local['delegates']} delegates",
            )
        local["delegates_yes"] = delegates_yes
    missing = [str(local["id"]) for local in locals_list if str(local["id"]) not in seen]
    if missing:
        raise ReportError("evaluation.per_local", f"no entry for local(s) {', '.join(missing)}")

    in_favour_count = sum(1 for local in locals_list if local["in_favour"])
    locals_in_favour: int | None = None
    if ev["locals_in_favour"] is not None:
        locals_in_favour = _count(ev["locals_in_favour"], "evaluation.locals_in_favour")
        if locals_in_favour != in_favour_count:
            raise ReportError(
                "evaluation.locals_in_favour",
                f"{locals_in_favour} does not match the {in_favour_count} locals marked in favour",
            )

    ev_delegates = _mapping(ev["delegates"], "evaluation.delegates")
    d_yes = _count(_get(ev_delegates, "yes", "evaluation.delegates"), "evaluation.delegates.yes")
    d_no = _count(_get(ev_delegates, "no", "evaluation.delegates"), "evaluation.delegates.no")
    d_total = _count(_get(ev_delegates, "total", "evaluation.delegates"), "evaluation.delegates.total")
    d_passed = _flag(_get(ev_delegates, "passed", "evaluation.delegates"), "evaluation.delegates.passed")
    if d_yes + d_no > d_total:
        raise ReportError(
            "evaluation.delegates.total", f"yes + no = {d_yes + d_no} exceeds the total {d_total}"
        )
    per_local_yes = sum(local["delegates_yes"] for local in locals_list)
    if d_yes != per_local_yes:
        raise ReportError(
            "evaluation.delegates.yes",
            f"{d_yes} does not match the locals' delegate yes votes ({per_local_yes})",
        )

    rule: dict[str, Any] = {"name": rule_name, "description": description, "trace": trace}
    for key in ("threshold", "local_threshold"):  # the per-local yes share the rule asks for
        if ev.get(key) is not None:
            rule["threshold"] = _threshold(ev[key], f"evaluation.{key}")
            break
    rule["counts_locals"] = _counts_locals(ev, description)
    if ev.get("uses_delegates") is not None:
        rule["uses_delegates"] = _flag(ev["uses_delegates"], "evaluation.uses_delegates")

    result: dict[str, Any] = {
        "format": FORMAT,
        "union": union,
        "title": vote_title,
        "kind": kind,
        "group": group,
        "closed_at": closed_at,
        "passed": passed,
        "announcement": "",
        "rule": rule,
        "popular": {
            "yes": yes,
            "no": no,
            "ballots": ballots,
            "eligible": eligible,
            "yes_share": share(yes, ballots),
            "turnout": share(ballots, eligible),
            "passed": popular_passed,
        },
        "delegates": {"yes": d_yes, "no": d_no, "total": d_total, "passed": d_passed},
        "locals_in_favour": locals_in_favour,
        "locals": locals_list,
    }
    result["announcement"] = announcement(result)
    return result
