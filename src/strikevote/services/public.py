"""What anyone may read about a vote: its public definition, each local's election, the bulletin board, turnout,
and each local's archive streamed as it stands.  Shared by the HTTP API, the public pages and the CLI.

Nothing here names a member: the board lists trackers (hashes of ballots), turnout is counts per local.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from strikevote.belenios.archive import archive_header, tar_entry
from strikevote.db import models
from strikevote.services.ballotbox import find_election
from strikevote.services.credentials import credentials_fingerprint
from strikevote.services.errors import NotFound, StateError
from strikevote.services.results import vote_record
from strikevote.services.votes import elections, load_vote

BOARD_PAGE_MAX = 1000
# An encoded group element: 64 hex digits (Ed25519) or at most 617 decimal digits (BELENIOS-2048).
MAX_PUBLIC_CREDENTIAL_CHARS = 700


@dataclass(frozen=True)
class VoteSummary:
    id: str
    union: str
    title: str
    state: str
    created_at: datetime


@dataclass(frozen=True)
class BoardEntry:
    tracker: str
    local: str
    height: int
    cast_at: datetime


@dataclass(frozen=True)
class BoardPage:
    local: str
    entries: list[BoardEntry]
    next_after: int | None  # pass as ``after`` for the next page; None when this page is the last


@dataclass(frozen=True)
class LocalTurnout:
    local: str
    name: str
    eligible: int
    ballots: int  # members who have voted (distinct credentials), not ballots replaced under last-counts

    @property
    def turnout(self) -> float:
        return self.ballots / self.eligible if self.eligible else 0.0


@dataclass(frozen=True)
class Turnout:
    vote: str
    state: str
    locals: list[LocalTurnout]
    at: datetime

    @property
    def eligible(self) -> int:
        return sum(x.eligible for x in self.locals)

    @property
    def ballots(self) -> int:
        return sum(x.ballots for x in self.locals)

    @property
    def turnout(self) -> float:
        return self.ballots / self.eligible if self.eligible else 0.0


def list_votes(db: sessionmaker[Session]) -> list[VoteSummary]:
    with db() as s:
        return [
            VoteSummary(v.id, v.union_name, v.title, v.state, v.created_at)
            for v in s.scalars(select(models.Vote).order_by(models.Vote.created_at, models.Vote.id))
        ]


def _published_fingerprint(s: Session, el: models.Election) -> str | None:
    """The local's credential fingerprint once the credential authority has issued its list, else None."""
    try:
        return credentials_fingerprint(s, el)
    except StateError:
        return None


def public_definition(db: sessionmaker[Session], vote_id: str) -> dict[str, Any]:
    """vote.json as the bundle will hold it (with each local's question beside its election) and the state."""
    with db() as s:
        vote, defn = load_vote(s, vote_id)
        els = elections(s, vote_id)
        doc = vote_record(vote, defn, els, {el.id: _published_fingerprint(s, el) for el in els}).to_json()
        for el in doc["elections"]:
            el["question"] = defn.local(el["local"]).question
            el["name"] = defn.local(el["local"]).name
        doc["state"] = vote.state
        return doc


def election_json(db: sessionmaker[Session], vote_id: str, local_id: str) -> str:
    with db() as s:
        load_vote(s, vote_id)
        return find_election(s, vote_id, local_id).election_json


def find_election_json(
    db: sessionmaker[Session], vote_id: str | None, local_id: str | None, uuid: str | None
) -> str:
    """A local's election.json by (vote, local) or by its uuid (within ``vote_id`` when given)."""
    with db() as s:
        if vote_id is not None:
            load_vote(s, vote_id)
        if vote_id is not None and local_id is not None:
            return find_election(s, vote_id, local_id).election_json
        query = select(models.Election).where(models.Election.uuid == uuid)
        if vote_id is not None:
            query = query.where(models.Election.vote_id == vote_id)
        found = s.scalar(query)
        if found is None:
            raise NotFound(f"no election {uuid}" + (f" in vote '{vote_id}'" if vote_id else ""))
        return found.election_json


def turnout(db: sessionmaker[Session], vote_id: str, now: datetime | None = None) -> Turnout:
    with db() as s:
        vote, defn = load_vote(s, vote_id)
        by_local = {el.local_id: el for el in elections(s, vote_id)}
        voted = dict(
            s.execute(
                select(models.Ballot.election_id, func.count(func.distinct(models.Ballot.credential)))
                .join(models.Election, models.Election.id == models.Ballot.election_id)
                .where(models.Election.vote_id == vote_id)
                .group_by(models.Ballot.election_id)
            ).all()
        )
        rows = []
        for loc in defn.locals:
            el = by_local.get(loc.id)
            eligible = el.eligible if el else _eligible(s, vote_id, loc.id)
            rows.append(LocalTurnout(loc.id, loc.name, eligible, int(voted.get(el.id, 0)) if el else 0))
        return Turnout(vote_id, vote.state, rows, now or datetime.now(UTC))


def _eligible(s: Session, vote_id: str, local_id: str) -> int:
    return (
        s.scalar(
            select(func.count())
            .select_from(models.Member)
            .where(
                models.Member.vote_id == vote_id, models.Member.local_id == local_id, models.Member.eligible
            )
        )
        or 0
    )


def board_page(
    db: sessionmaker[Session], vote_id: str, local_id: str, after: int = -1, limit: int = 100
) -> BoardPage:
    """Ballots of one local in board order (chain height), those above ``after``, at most ``limit``."""
    limit = max(1, min(limit, BOARD_PAGE_MAX))
    with db() as s:
        load_vote(s, vote_id)
        el = find_election(s, vote_id, local_id)
        rows = s.execute(
            select(models.Ballot.tracker, models.Ballot.height, models.Ballot.cast_at)
            .where(models.Ballot.election_id == el.id, models.Ballot.height > after)
            .order_by(models.Ballot.height)
            .limit(limit + 1)
        ).all()
    entries = [BoardEntry(t, local_id, h, _utc(c)) for t, h, c in rows[:limit]]
    return BoardPage(local_id, entries, entries[-1].height if len(rows) > limit else None)


def find_tracker(db: sessionmaker[Session], vote_id: str, tracker: str) -> BoardEntry:
    with db() as s:
        load_vote(s, vote_id)
        row = s.execute(
            select(models.Election.local_id, models.Ballot.height, models.Ballot.cast_at)
            .join(models.Election, models.Election.id == models.Ballot.election_id)
            .where(models.Election.vote_id == vote_id, models.Ballot.tracker == tracker)
            .limit(1)
        ).first()
    if row is None:
        raise NotFound(f"no ballot with tracker {tracker!r} on the board of vote '{vote_id}'")
    return BoardEntry(tracker, row[0], row[1], _utc(row[2]))


def credential_listed(db: sessionmaker[Session], vote_id: str, local_id: str, public_credential: str) -> bool:
    """Whether ``public_credential`` is on the local's list (the list itself is public: it is in the archive).
    The booth asks before encrypting, so a mistyped credential is caught while the member still has the letter
    in hand rather than refused at the cast."""
    with db() as s:
        load_vote(s, vote_id)
        el = find_election(s, vote_id, local_id)
        if len(public_credential) > MAX_PUBLIC_CREDENTIAL_CHARS:
            return False
        return s.get(models.Credential, (el.id, public_credential)) is not None


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def archive_chunks(db: sessionmaker[Session], vote_id: str, local_id: str) -> Iterator[bytes]:
    """The local's ``.bel`` archive as it stands, as consecutive byte chunks (the same bytes as
    :func:`strikevote.services.board.export_archive`).

    Checks the vote and local before the first chunk, so a caller gets :class:`NotFound` at once.  The tip is
    read first and both queries stop there: rows committed while the archive streams are left for the next
    download, so the archive is always a complete chain even under READ COMMITTED.
    """
    s = db()
    try:
        vote, _ = load_vote(s, vote_id)
        el = find_election(s, vote_id, local_id)
        timestamp = int(vote.created_at.replace(tzinfo=vote.created_at.tzinfo or UTC).timestamp())
        tip = s.execute(
            select(models.Event.height, models.Event.data_seq)
            .where(models.Event.election_id == el.id)
            .order_by(models.Event.height.desc())
            .limit(1)
        ).first()
    except BaseException:
        s.close()
        raise
    return _stream(s, el.id, timestamp, tip)


def _stream(s: Session, election_id: int, timestamp: int, tip: Any) -> Iterator[bytes]:
    try:
        yield archive_header(timestamp)
        if tip is None:
            return
        top_height, top_seq = tip
        records = iter(
            s.execute(
                select(models.Record.seq, models.Record.content)
                .where(models.Record.election_id == election_id, models.Record.seq <= top_seq)
                .order_by(models.Record.seq)
                .execution_options(yield_per=1000)
            )
        )
        events = s.execute(
            select(models.Event.data_seq, models.Event.content)
            .where(models.Event.election_id == election_id, models.Event.height <= top_height)
            .order_by(models.Event.height)
            .execution_options(yield_per=1000)
        )
        nxt = next(records, None)
        buf: list[bytes] = []
        size = 0
        for data_seq, content in events:
            while nxt is not None and nxt[0] <= data_seq:
                body = nxt[1].encode("utf-8")
                buf.append(tar_entry(f"{hashlib.sha256(body).hexdigest()}.data.json", body, timestamp))
                size += len(buf[-1])
                nxt = next(records, None)
            body = content.encode("utf-8")
            buf.append(tar_entry(f"{hashlib.sha256(body).hexdigest()}.event.json", body, timestamp))
            size += len(buf[-1])
            if size >= 1 << 16:
                yield b"".join(buf)
                buf, size = [], 0
        if buf:
            yield b"".join(buf)
    finally:
        s.close()
