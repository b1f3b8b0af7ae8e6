"""What the certificate says about the vote itself, from its vote record (``vote.json``): the question each
local was asked, when voting opened and closed in the vote's time zone (and whether it was closed early), the
notice date, the trustees (names, k of n) and how many members of each local's roll were excluded, and why.

The record was validated when it was decoded (:mod:`strikevote.records.vote`): nothing is checked again here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Final
from zoneinfo import ZoneInfo

from strikevote.records.vote import EXCLUSION_REASONS, VoteRecord

__all__ = ["EXCLUSION_LABELS", "Exclusions", "VoteFacts", "local_time", "vote_facts"]

# The roll's exclusion reasons (records.vote.EXCLUSION_REASONS), as the certificate names them.
EXCLUSION_LABELS: Final = {
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
    by_reason: dict[str, int]  # EXCLUSION_LABELS key -> members (a member may have several reasons)


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


def _date_text(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def local_time(moment: datetime, zone: ZoneInfo) -> str:
    """``December 1, 2026, 9:05 PM EST``: the moment in the vote's time zone, as people read it."""
    at = moment.astimezone(zone)
    hour = at.hour % 12 or 12
    return f"{_date_text(at)}, {hour}:{at:%M} {'AM' if at.hour < 12 else 'PM'} {at.tzname()}"


def _exclusions(vote: VoteRecord) -> list[Exclusions] | None:
    names = {x.id: x.name for x in vote.terms.locals}
    rows = []
    for e in vote.elections or ():
        if e.excluded is None:
            return None
        by_reason = {key: e.excluded.of(key) for key in EXCLUSION_REASONS}
        name = names.get(e.local, e.local)
        on_roll = e.eligible + e.excluded.total
        rows.append(Exclusions(e.local, name, on_roll, e.eligible, e.excluded.total, by_reason))
    return rows


def vote_facts(vote: VoteRecord, closed_at: datetime) -> VoteFacts:
    """The facts of ``vote`` the certificate states; ``closed_at``: the result's."""
    terms = vote.terms
    zone = ZoneInfo(terms.window.timezone)
    opens = terms.window.opens
    questions = [(x.id, x.name, x.question) for x in terms.locals]
    asked = {q for _, _, q in questions}
    notice = terms.notice
    return VoteFacts(
        questions=questions,
        same_question=next(iter(asked)) if len(asked) == 1 else None,
        timezone=terms.window.timezone,
        opened=local_time(opens, zone),
        scheduled_close=local_time(terms.window.closes, zone),
        closed=local_time(closed_at, zone),
        closed_early=closed_at < terms.window.closes,
        notice=_date_text(notice) if notice else None,
        notice_days=(opens.astimezone(zone).date() - notice).days if notice else None,
        trustees=list(terms.trustees.names),
        trustees_k=terms.trustees.k,
        trustees_n=terms.trustees.n,
        exclusions=_exclusions(vote),
    )
