"""The committee's view of a vote: state, trustees' progress, per-local counts and turnout over time.

Shared by ``strikevote vote status`` and the web console.  Counts only: nothing here says which member has or
has not voted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, sessionmaker

from strikevote.db import models
from strikevote.services.definition import VoteDefinition
from strikevote.services.tally import partial_owners
from strikevote.services.votes import elections, load_vote

NEXT_STEP = {
    "keys": "trustees run `strikevote trustee init|polynomial|finish`, then `strikevote vote setup`",
    "credentials": "the credential authority runs `strikevote credentials issue`",
    "open": "members cast ballots; then `strikevote tally close`",
    "closed": "k trustees run `strikevote trustee decrypt`, then `strikevote result decrypt`",
    "tallied": "`strikevote result publish --out DIR`",
    "published": "done: the bundle can be checked with `strikevote verify DIR`",
}


@dataclass(frozen=True)
class TrusteeProgress:
    index: int
    name: str
    has_certificate: bool
    has_polynomial: bool
    has_verification_key: bool
    decrypted_locals: int


@dataclass(frozen=True)
class LocalStatus:
    local: str
    name: str
    eligible: int
    excluded: int
    credentials: int | None  # None: the local's election is not set up yet
    ballots: int | None
    voters: int | None
    events: int | None


@dataclass(frozen=True)
class VoteStatus:
    vote_id: str
    state: str
    definition: VoteDefinition
    trustees: list[TrusteeProgress]
    locals: list[LocalStatus]
    elections: int
    next_step: str


def vote_status(db: sessionmaker[Session], vote_id: str) -> VoteStatus:
    with db() as s:
        row, defn = load_vote(s, vote_id)
        els = elections(s, vote_id)
        decrypted: dict[int, int] = {}
        for el in els:
            for owner in partial_owners(s, el):
                decrypted[owner] = decrypted.get(owner, 0) + 1
        trustees = [
            TrusteeProgress(
                t.index,
                t.name,
                bool(t.certificate),
                bool(t.polynomial),
                bool(t.verification_key),
                decrypted.get(t.index, 0),
            )
            for t in s.scalars(
                select(models.Trustee).where(models.Trustee.vote_id == vote_id).order_by(models.Trustee.index)
            )
        ]
        by_local = {el.local_id: el for el in els}
        locals_ = []
        for loc in defn.locals:
            eligible, excluded = (
                _count(
                    s,
                    models.Member,
                    (models.Member.vote_id == vote_id)
                    & (models.Member.local_id == loc.id)
                    & (models.Member.eligible == flag),
                )
                for flag in (True, False)
            )
            local_el = by_local.get(loc.id)
            if local_el is None:
                locals_.append(LocalStatus(loc.id, loc.name, eligible, excluded, None, None, None, None))
                continue
            voters = (
                s.scalar(
                    select(func.count(func.distinct(models.Ballot.credential))).where(
                        models.Ballot.election_id == local_el.id
                    )
                )
                or 0
            )
            locals_.append(
                LocalStatus(
                    loc.id,
                    loc.name,
                    eligible,
                    excluded,
                    _count(s, models.Credential, models.Credential.election_id == local_el.id),
                    _count(s, models.Ballot, models.Ballot.election_id == local_el.id),
                    voters,
                    _count(s, models.Event, models.Event.election_id == local_el.id),
                )
            )
        return VoteStatus(
            vote_id, row.state, defn, trustees, locals_, len(els), NEXT_STEP.get(row.state, "?")
        )


@dataclass(frozen=True)
class TurnoutSeries:
    """Cumulative voters per local at the end of each time step, from the window's opening."""

    starts: list[datetime]
    step: timedelta
    cumulative: dict[str, list[int]]


def turnout_over_time(
    db: sessionmaker[Session], vote_id: str, now: datetime | None = None, points: int = 12
) -> TurnoutSeries:
    """First ballots per credential, bucketed into ``points`` equal steps from the opening to now (or the
    close, if earlier): how many members of each local had voted by then.  Counts only."""
    now = now or datetime.now(UTC)
    with db() as s:
        vote, defn = load_vote(s, vote_id)
        start = defn.opens
        end = min(now, defn.closes) if vote.closed_at is None else _utc(vote.closed_at)
        if end <= start:
            end = start + timedelta(hours=1)
        step = (end - start) / points
        local_of = {el.id: el.local_id for el in elections(s, vote_id)}
        first_cast: Any = (
            select(models.Ballot.election_id, func.min(models.Ballot.cast_at).label("at"))
            .where(models.Ballot.election_id.in_(list(local_of)))
            .group_by(models.Ballot.election_id, models.Ballot.credential)
            .subquery()
        )
        per_step = {lid: [0] * points for lid in local_of.values()}
        for eid, at in s.execute(select(first_cast.c.election_id, first_cast.c.at)):
            i = min(points - 1, max(0, int((_utc(at) - start) / step)))
            per_step[local_of[eid]][i] += 1
    cumulative = {}
    for lid, counts in per_step.items():
        total, acc = 0, []
        for c in counts:
            total += c
            acc.append(total)
        cumulative[lid] = acc
    return TurnoutSeries([start + step * i for i in range(points)], step, cumulative)


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def _count(s: Session, model: Any, where: ColumnElement[bool]) -> int:
    return s.scalar(select(func.count()).select_from(model).where(where)) or 0
