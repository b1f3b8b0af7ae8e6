"""One ballot's cast as prebuilt SQL: the vote server's hot path (DESIGN.md §10, issue 8).

:func:`strikevote.services.ballotbox.cast` talks to the database twice, with statements built once here (their
compiled forms are cached by SQLAlchemy; Core tables, no ORM unit of work):

1. :func:`look_up`, outside any transaction (PostgreSQL: autocommit): the election the ballot names, its vote's
   state and definition, and the height of this very ballot if it is already on the board. One statement.
2. :func:`append`, one write transaction:

   * the locks, one statement on PostgreSQL: the vote's advisory lock shared (a close takes it exclusive: see
     :func:`strikevote.services.votes.lock_vote`), then the election's chain lock (an advisory lock: appends
     to one board queue there); SQLite's ``BEGIN IMMEDIATE`` took the write lock.  No row is locked: a row lock
     writes the row, and every cast of a vote sharing its row made PostgreSQL build a MultiXact per cast;
   * what the policy needs, in one statement run *after* the locks (so, under READ COMMITTED, on a snapshot
     that already holds every ballot committed before ours and the vote's state as a close left it): the
     vote's state and definition, an identical ballot's height, whether the credential is listed, its last
     ballot number, the chain's tip and the last data object's number;
   * the writes: the ballot as a data object, its ``Ballot`` event, the ballot row and the member's
     confirmation (PostgreSQL: one INSERT with data-modifying CTEs, a single round trip; SQLite: four inserts
     inside the process).

The ORM path (:class:`strikevote.services.board.Board`, ``cast_batch``) writes the same rows:
``tests/integration/test_cast_paths.py`` interleaves both on one election and checks the chain they build.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Connection, Integer, String, bindparam, insert, literal, select, text
from sqlalchemy.sql import Select

from strikevote.belenios.archive import Event as BelEvent
from strikevote.db import models
from strikevote.mail.outbox import CONFIRMATION_INSERT, confirmation_params
from strikevote.services.votes import CHAIN_LOCK_CLASS

_votes = models.table_of(models.Vote)
_elections = models.table_of(models.Election)
_ballots = models.table_of(models.Ballot)
_credentials = models.table_of(models.Credential)
_events = models.table_of(models.Event)
_records = models.table_of(models.Record)
V, E, B, C, EV, R = _votes.c, _elections.c, _ballots.c, _credentials.c, _events.c, _records.c


@dataclass(frozen=True)
class Found:
    """What :func:`look_up` read: the election, its vote, and an identical ballot's height (or None)."""

    election_id: int
    vote_id: str
    local_id: str
    uuid: str
    election_json: str
    vote_state: str
    definition: str
    earlier_height: int | None


@dataclass(frozen=True)
class Position:
    """What :func:`append` reads under the locks."""

    vote_state: str | None  # None: the vote is gone
    definition: str
    earlier_height: int | None
    listed: bool
    last_seq: int
    tip_height: int
    tip_hash: str | None
    record_seq: int


def _look_up() -> Select[Any]:
    earlier = (
        select(B.height)
        .where(B.election_id == E.id, B.tracker == bindparam("tracker", type_=String))
        .scalar_subquery()
    )
    return (
        select(E.id, E.vote_id, E.local_id, E.uuid, E.election_json, V.state, V.definition, earlier)
        .select_from(_elections.join(_votes, V.id == E.vote_id))
        .where(E.uuid == bindparam("uuid", type_=String))
    )


def _position() -> Select[Any]:
    eid = bindparam("election_id", type_=Integer)
    cred = bindparam("credential", type_=String)
    tip = select(EV.height, EV.hash).where(EV.election_id == eid).order_by(EV.height.desc()).limit(1)
    vote = select(V.state, V.definition).where(V.id == bindparam("vote_id", type_=String))
    return select(
        vote.with_only_columns(V.state).scalar_subquery(),
        vote.with_only_columns(V.definition).scalar_subquery(),
        select(B.height).where(B.election_id == eid, B.tracker == bindparam("tracker")).scalar_subquery(),
        select(literal(1, Integer)).where(C.election_id == eid, C.public == cred).scalar_subquery(),
        select(B.seq).where(B.election_id == eid, B.credential == cred).order_by(B.seq.desc()).limit(1)
        .scalar_subquery(),
        tip.with_only_columns(EV.height).scalar_subquery(),
        tip.with_only_columns(EV.hash).scalar_subquery(),
        select(R.seq).where(R.election_id == eid).order_by(R.seq.desc()).limit(1).scalar_subquery(),
    )  # fmt: skip


LOOK_UP: Final = _look_up()
POSITION: Final = _position()
VOTE_EXISTS: Final = select(V.id).where(V.id == bindparam("vote_id", type_=String))
# PostgreSQL: the vote's lock (shared), then the election's chain lock, in one statement; the subquery (kept
# whole by OFFSET 0) yields its row, so takes the vote's lock, before the outer call asks for the chain's: no
# cast ever holds a chain while it waits for a close.  The vote's state is read in the next statement: this
# one's snapshot predates the wait.
LOCKS_PG: Final = text(
    "SELECT pg_advisory_xact_lock(:chain_class, :election_id) "
    "FROM (SELECT pg_advisory_xact_lock_shared(:vote_key) OFFSET 0) AS vote_lock"
)

_RECORD_INSERT: Final = insert(_records).values(
    election_id=bindparam("election_id"),
    hash=bindparam("record_hash"),
    seq=bindparam("record_seq"),
    content=bindparam("raw"),
)
_EVENT_INSERT: Final = insert(_events).values(
    election_id=bindparam("election_id"),
    height=bindparam("height"),
    hash=bindparam("event_hash"),
    type=literal("Ballot", String),
    content=bindparam("event"),
    data_seq=bindparam("record_seq"),
)
_BALLOT_INSERT: Final = insert(_ballots).values(
    election_id=bindparam("election_id"),
    credential=bindparam("credential"),
    seq=bindparam("seq"),
    tracker=bindparam("tracker"),
    record_hash=bindparam("record_hash"),
    height=bindparam("height"),
    cast_at=bindparam("now"),
)
# The four writes in one PostgreSQL statement: data-modifying CTEs all run, on one snapshot, in one round trip.
_WRITE_ALL_PG: Final = CONFIRMATION_INSERT.add_cte(
    _RECORD_INSERT.cte("new_record"), _EVENT_INSERT.cte("new_event"), _BALLOT_INSERT.cte("new_ballot")
)


def look_up(conn: Connection, uuid: str, tracker: str) -> Found | None:
    row = conn.execute(LOOK_UP, {"uuid": uuid, "tracker": tracker}).first()
    return None if row is None else Found(*row)


def vote_exists(conn: Connection, vote_id: str) -> bool:
    return conn.execute(VOTE_EXISTS, {"vote_id": vote_id}).first() is not None


def lock(conn: Connection, election_id: int, vote_key: int) -> None:
    """Take the cast's locks (PostgreSQL; SQLite's BEGIN IMMEDIATE holds the database's write lock already)."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            LOCKS_PG, {"vote_key": vote_key, "chain_class": CHAIN_LOCK_CLASS, "election_id": election_id}
        )


def position(conn: Connection, vote_id: str, election_id: int, credential: str, tracker: str) -> Position:
    row = conn.execute(
        POSITION,
        {"vote_id": vote_id, "election_id": election_id, "credential": credential, "tracker": tracker},
    ).one()
    state, definition, earlier, listed, last_seq, tip_height, tip_hash, record_seq = row
    return Position(
        state,
        definition or "",
        earlier,
        listed is not None,
        last_seq or 0,
        -1 if tip_height is None else tip_height,
        tip_hash,
        record_seq or 0,
    )


def append(
    conn: Connection,
    found: Found,
    at: Position,
    raw: str,
    credential: str,
    tracker: str,
    now: datetime,
) -> int:
    """Write the ballot after the chain's tip; its height.  As :class:`~strikevote.services.board.Board`'s
    ``add_data`` and ``add_event`` and the ballot row of the ORM path, byte for byte."""
    record_hash = hashlib.sha256(raw.encode("utf-8")).hexdigest()
    height = at.tip_height + 1
    event = BelEvent(at.tip_hash, height, "Ballot", record_hash).to_json()
    params = {
        "election_id": found.election_id,
        "record_hash": record_hash,
        "record_seq": at.record_seq + 1,
        "raw": raw,
        "height": height,
        "event_hash": hashlib.sha256(event.encode()).hexdigest(),
        "event": event,
        "seq": at.last_seq + 1,
        **confirmation_params(found.vote_id, found.election_id, credential, tracker, now),
    }
    if conn.dialect.name == "postgresql":
        conn.execute(_WRITE_ALL_PG, params)
    else:
        for statement in (_RECORD_INSERT, _EVENT_INSERT, _BALLOT_INSERT, CONFIRMATION_INSERT):
            conn.execute(statement, params)
    return height
