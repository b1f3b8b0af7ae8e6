"""What the certificate says about the vote itself, from its ``vote.json``: the question each local was asked,
when voting opened and closed in the vote's time zone (and whether it was closed early), the notice date, the
trustees (names, k of n) and how many members of each local's roll were excluded, and why.

Input is the vote.json dict as the publisher writes it (``services/results.py``); every field used is checked
here and a wrong one raises :class:`ReportError` naming it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from strikevote.report.errors import ReportError

__all__ = ["EXCLUSION_REASONS", "Exclusions", "VoteFacts", "local_time", "vote_facts"]

# The roll's exclusion reasons (strikevote.roll.ExclusionReason), as the certificate names them.
EXCLUSION_REASONS: Final = {
    "not_in_good_standing": "not in good standing",
    "dues_arrears": "dues in arrears",
    "no_email": "no registered email",
}


@dataclass(frozen=True)
class Exclusions:
    local: str
    name: str
    on_roll: int
    eligible: int
    total: int
    by_reason: dict[str, int]  # EXCLUSION_REASONS key -> members (a member may have several reasons)


@dataclass(frozen=True)
class VoteFacts:
    questions: list[tuple[str, str, str]]  # (local id, local name, question)
    same_question: str | None  # when every local was asked the same
    timezone: str
    opened: str
    scheduled_close: str
    closed: str
    closed_early: bool
    notice: str | None
    notice_days: int | None  # days from notice to the opening of the vote
    trustees: list[str]
    trustees_k: int
    trustees_n: int
    exclusions: list[Exclusions] | None  # None: vote.json does not say (published before it did)


def _get(obj: Any, key: str, where: str, typ: type | tuple[type, ...]) -> Any:
    if not isinstance(obj, Mapping) or key not in obj:
        raise ReportError(f"{where}.{key}", "missing")
    value = obj[key]
    if not isinstance(value, typ) or (isinstance(value, bool) and typ is int):
        raise ReportError(f"{where}.{key}", f"has the wrong type ({type(value).__name__})")
    return value


def _moment(text: str, field: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ReportError(field, f"must be an ISO 8601 date and time, got {text!r}") from None
    if moment.tzinfo is None:
        raise ReportError(field, f"must carry its UTC offset, got {text!r}")
    return moment


def _date_text(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def local_time(moment: datetime, zone: ZoneInfo) -> str:
    """``December 1, 2026, 9:05 PM EST``: the moment in the vote's time zone, as people read it."""
    at = moment.astimezone(zone)
    hour = at.hour % 12 or 12
    return f"{_date_text(at)}, {hour}:{at:%M} {'AM' if at.hour < 12 else 'PM'} {at.tzname()}"


def _count(obj: Any, key: str, where: str) -> int:
    value = _get(obj, key, where, int)
    if value < 0:
        raise ReportError(f"{where}.{key}", f"must not be negative, got {value}")
    return int(value)


def _exclusions(vote: Mapping[str, Any], names: Mapping[str, str]) -> list[Exclusions] | None:
    elections = _get(vote, "elections", "vote", list)
    if not all(isinstance(e, Mapping) and "excluded" in e for e in elections):
        return None
    rows = []
    for i, e in enumerate(elections):
        where = f"vote.elections[{i}]"
        local = _get(e, "local", where, str)
        excluded = _get(e, "excluded", where, dict)
        eligible = _count(e, "eligible", where)
        total = _count(excluded, "total", f"{where}.excluded")
        by_reason = {key: _count(excluded, key, f"{where}.excluded") for key in EXCLUSION_REASONS}
        rows.append(Exclusions(local, names.get(local, local), eligible + total, eligible, total, by_reason))
    return rows


def vote_facts(vote: Mapping[str, Any], closed_at: str) -> VoteFacts:
    """The facts of ``vote`` (vote.json) the certificate states; ``closed_at``: result.json's."""
    window = _get(vote, "window", "vote", dict)
    tzname = _get(window, "timezone", "vote.window", str)
    try:
        zone = ZoneInfo(tzname)
    except (ZoneInfoNotFoundError, ValueError):
        raise ReportError("vote.window.timezone", f"unknown time zone {tzname!r}") from None
    opens = _moment(_get(window, "opens", "vote.window", str), "vote.window.opens")
    closes = _moment(_get(window, "closes", "vote.window", str), "vote.window.closes")
    closed = _moment(closed_at, "result.closed_at")

    locals_: Sequence[Any] = _get(vote, "locals", "vote", list)
    questions = []
    for i, loc in enumerate(locals_):
        where = f"vote.locals[{i}]"
        questions.append(
            (_get(loc, "id", where, str), _get(loc, "name", where, str), _get(loc, "question", where, str))
        )
    asked = {q for _, _, q in questions}

    notice_raw = vote.get("notice")
    notice: date | None = None
    if notice_raw is not None:
        if not isinstance(notice_raw, str):
            raise ReportError("vote.notice", "must be a date (YYYY-MM-DD) or null")
        try:
            notice = date.fromisoformat(notice_raw)
        except ValueError:
            raise ReportError("vote.notice", f"must be a date (YYYY-MM-DD), got {notice_raw!r}") from None

    trustees = _get(vote, "trustees", "vote", dict)
    names = _get(trustees, "names", "vote.trustees", list)
    if not all(isinstance(name, str) for name in names):
        raise ReportError("vote.trustees.names", "must be a list of names")
    return VoteFacts(
        questions=questions,
        same_question=next(iter(asked)) if len(asked) == 1 else None,
        timezone=tzname,
        opened=local_time(opens, zone),
        scheduled_close=local_time(closes, zone),
        closed=local_time(closed, zone),
        closed_early=closed < closes,
        notice=_date_text(notice) if notice else None,
        notice_days=(opens.astimezone(zone).date() - notice).days if notice else None,
        trustees=list(names),
        trustees_k=_count(trustees, "k", "vote.trustees"),
        trustees_n=_count(trustees, "n", "vote.trustees"),
        exclusions=_exclusions(vote, {q[0]: q[1] for q in questions}),
    )
