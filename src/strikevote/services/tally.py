"""Closing the vote and computing each local's encrypted tally (the product of the counted ballots)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from strikevote.belenios.ballot import parse_ballot
from strikevote.belenios.election import ElectionParams
from strikevote.belenios.tally import (
    EncryptedTally,
    SizedTally,
    add_to_tally,
    empty_tally,
    parse_tally,
    tally_json,
)
from strikevote.db import models
from strikevote.db.engine import begin_write
from strikevote.services.board import Board
from strikevote.services.errors import StateError, Unavailable
from strikevote.services.retry import retrying
from strikevote.services.votes import elections, lock_vote, require_state


def counted_ballots(s: Session, election_id: int) -> list[str]:
    """The last ballot of each credential (Belenios ``last()``), raw, in cast order."""
    latest = (
        select(models.Ballot.credential, func.max(models.Ballot.seq).label("seq"))
        .where(models.Ballot.election_id == election_id)
        .group_by(models.Ballot.credential)
        .subquery()
    )
    rows = s.execute(
        select(models.Record.content)
        .join(
            models.Ballot,
            (models.Ballot.election_id == models.Record.election_id)
            & (models.Ballot.record_hash == models.Record.hash),
        )
        .join(latest, (latest.c.credential == models.Ballot.credential) & (latest.c.seq == models.Ballot.seq))
        .where(models.Ballot.election_id == election_id)
        .order_by(models.Ballot.height)
    )
    return [r[0] for r in rows]


def close_and_tally(
    db: sessionmaker[Session], vote_id: str, now: datetime | None = None, *, early: bool = False
) -> dict[str, int]:
    """End the ballots of every local and publish its encrypted tally.  Returns ballots counted per local.

    :param now: the time of closing (timezone-aware). When given, closing before the window's ``closes`` is
        refused with a :class:`StateError` unless ``early`` is true: the election committee may close early,
        but only deliberately. Without ``now`` the window is not checked.
    :param early: close even though the window has not ended.
    """

    def close() -> dict[str, int]:
        counted: dict[str, int] = {}
        with begin_write(db) as s:
            # Exclusive: waits for every cast holding the vote's shared lock to commit, and holds off new ones
            # until the ballots are ended; the counted ballots and the chain tips are read after that, so every
            # acknowledged ballot is in the tally and none can be acknowledged after it.
            vote, defn = lock_vote(s, vote_id, exclusive=True)
            require_state(vote, "open")
            if now is not None:
                check_close_time(vote_id, defn.closes, defn.timezone, now, early=early)
            vote.closed_at = now or datetime.now(UTC)
            for el in elections(s, vote_id):
                election = ElectionParams.parse(el.election_json)
                g = election.group
                tally = empty_tally(election)
                raws = counted_ballots(s, el.id)
                for raw in raws:
                    add_to_tally(g, tally, parse_ballot(g, raw).answers)
                board = Board(s, el.id)
                board.add_event("EndBallots")
                h = board.add_data(tally_json(g, tally))
                sized = SizedTally(len(raws), len(raws), h).to_json()
                board.add_event("EncryptedTally", board.add_data(sized))
                counted[el.local_id] = len(raws)
            vote.state = "closed"
        return counted

    return retrying(close, lambda why: Unavailable(f"vote '{vote_id}' was not closed ({why}); try again"))


def check_close_time(vote_id: str, closes: datetime, timezone: str, now: datetime, *, early: bool) -> None:
    """Refuse to close vote ``vote_id`` at ``now``, before its window's ``closes``, unless ``early``."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware (e.g. datetime.now(UTC))")
    if now >= closes or early:
        return
    hours, minutes = divmod(int((closes - now).total_seconds()) // 60, 60)
    days, hours = divmod(hours, 24)
    parts = ((days, "d"), (hours, "h"), (minutes, "min"))
    remaining = " ".join(f"{n} {unit}" for n, unit in parts if n) or "less than a minute"
    try:
        local_close = closes.astimezone(ZoneInfo(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        local_close = closes
    raise StateError(
        f"vote '{vote_id}' is open until {local_close.isoformat()} ({timezone}), {remaining} from now; "
        "closing before the window ends must be deliberate: close it early explicitly (`--early`)"
    )


def encrypted_tally_of(
    s: Session, el: models.Election, election: ElectionParams
) -> tuple[EncryptedTally, SizedTally]:
    from strikevote.services.board import payloads

    sized_raw = next(payloads(s, el.id, "EncryptedTally"), None)
    if sized_raw is None:
        raise StateError(f"local {el.local_id} has no encrypted tally yet")
    sized = SizedTally.parse(sized_raw)
    rec = s.get(models.Record, (el.id, sized.encrypted_tally))
    if rec is None:
        raise StateError(f"local {el.local_id}: encrypted tally record missing")
    return parse_tally(election, rec.content), sized


def partial_owners(s: Session, el: models.Election) -> list[int]:
    from strikevote.services.board import payloads

    return [int(json.loads(p)["owner"]) for p in payloads(s, el.id, "PartialDecryption")]
