"""Calling a vote: the definition and the frozen roll snapshot go in; per-local readiness comes out."""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from strikevote.db import models
from strikevote.roll import Roll, Snapshot, freeze_snapshot
from strikevote.services.definition import MIN_PRIVATE_LOCAL, VoteDefinition
from strikevote.services.errors import DefinitionError, NotFound, StateError


@dataclass(frozen=True)
class CalledVote:
    vote_id: str
    snapshot: Snapshot
    warnings: tuple[str, ...]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48] or "vote"


def call_vote(db: sessionmaker[Session], defn: VoteDefinition, roll: Roll, now: datetime) -> CalledVote:
    """Freeze the roll, record the vote and its trustees' seats; all or nothing."""
    local_ids = {x.id for x in defn.locals}
    unknown = sorted({m.local for m in roll.members} - local_ids)
    if unknown:
        raise DefinitionError(f"the roll names locals the vote does not define: {', '.join(unknown)}")
    snapshot = freeze_snapshot(roll, defn.eligibility, now)
    warnings = list(defn.warnings)
    for loc in defn.locals:
        n = sum(1 for m in snapshot.eligible if m.local == loc.id)
        if n < MIN_PRIVATE_LOCAL:
            warnings.append(
                f"local {loc.id} has {n} eligible member(s): its tally may reveal how members voted"
            )
    vote_id = defn.id or f"{slug(defn.union)}-{now.strftime('%Y%m%d%H%M%S')}"
    with db.begin() as s:
        if s.get(models.Vote, vote_id) is not None:
            raise DefinitionError(f"a vote with id '{vote_id}' already exists")
        s.add(
            models.Vote(
                id=vote_id,
                union_name=defn.union,
                title=defn.title,
                group_name=defn.group,
                definition=json.dumps(defn.to_json(), ensure_ascii=False),
                state="keys",
                roll_digest=snapshot.digest(),
                created_at=now,
                mail_settings=defn.mail_plan.to_json() if defn.mail_plan.mail else None,
            )
        )
        s.flush()
        rows = [(m, "") for m in snapshot.eligible]
        rows += [(ex.member, ",".join(r.value for r in ex.reasons)) for ex in snapshot.excluded]
        s.add_all(
            models.Member(
                vote_id=vote_id,
                member_id=m.member_id,
                local_id=m.local,
                name=m.name,
                email=m.email,
                language=m.language,
                eligible=not reasons,
                reasons=reasons,
            )
            for m, reasons in rows
        )
        for i, name in enumerate(defn.trustee_names, start=1):
            s.add(models.Trustee(vote_id=vote_id, index=i, name=name))
    return CalledVote(vote_id, snapshot, tuple(warnings))


def load_vote(s: Session, vote_id: str) -> tuple[models.Vote, VoteDefinition]:
    vote = s.get(models.Vote, vote_id)
    if vote is None:
        raise NotFound(f"no vote '{vote_id}'")
    return vote, definition_of(vote.definition)


def lock_vote(s: Session, vote_id: str, *, exclusive: bool) -> tuple[models.Vote, VoteDefinition]:
    """Load the vote locked until the transaction ends: shared (casting: casts do not wait for each other) or
    exclusive (closing: waits for the casts in flight, and later casts wait for the close).

    PostgreSQL: a transaction-scoped advisory lock on the vote, shared or exclusive.  Advisory locks queue
    fairly (a waiting close holds off later casts), where row locks do not: under a steady stream of casts
    ``FOR UPDATE`` behind overlapping ``FOR SHARE`` holders could wait indefinitely.  Every change to an open
    vote's row (the close) holds the lock exclusive, so a shared holder reads the row as last committed without
    locking it: a row lock writes the row, and casts sharing one made PostgreSQL build a MultiXact per cast.
    The close locks the row ``FOR UPDATE`` too.  SQLite has no row locks: its writers take the database's write
    lock first (:func:`strikevote.db.engine.begin_write`).
    """
    if s.get_bind().dialect.name == "postgresql":
        fn = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        s.execute(text(f"SELECT {fn}(:key)"), {"key": advisory_key(vote_id)})
    query = select(models.Vote).where(models.Vote.id == vote_id).execution_options(populate_existing=True)
    vote = s.scalar(query.with_for_update() if exclusive else query)
    if vote is None:
        raise NotFound(f"no vote '{vote_id}'")
    return vote, definition_of(vote.definition)


# PostgreSQL's two-key advisory locks are a key space of their own (they never collide with the one-key vote
# locks): (CHAIN_LOCK_CLASS, election id) serialises the appends to one election's board.
CHAIN_LOCK_CLASS: Final = int.from_bytes(b"svch", "big")
CHAIN_LOCK: Final = text("SELECT pg_advisory_xact_lock(:chain_class, :election_id)")


def lock_chain(s: Session, election_id: int) -> None:
    """Hold the election's board for appending until the transaction ends (PostgreSQL; SQLite's writers hold
    the database's write lock already).  An advisory lock, not a row lock: locking the election's row wrote
    the row (and WAL) on every cast."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(CHAIN_LOCK, {"chain_class": CHAIN_LOCK_CLASS, "election_id": election_id})


def advisory_key(vote_id: str) -> int:
    """The vote's PostgreSQL advisory lock (64 bits of a hash of its id)."""
    return int.from_bytes(
        hashlib.sha256(f"strikevote vote {vote_id}".encode()).digest()[:8], "big", signed=True
    )


@functools.lru_cache(maxsize=32)
def definition_of(stored: str) -> VoteDefinition:
    """Parsed once per stored text: the ballot box loads the vote on every cast (VoteDefinition is frozen)."""
    return VoteDefinition.from_json(json.loads(stored))


def require_state(vote: models.Vote, *states: str) -> None:
    if vote.state not in states:
        raise StateError(f"vote '{vote.id}' is {vote.state}; this step needs it to be {' or '.join(states)}")


def elections(s: Session, vote_id: str) -> list[models.Election]:
    return list(
        s.scalars(
            select(models.Election).where(models.Election.vote_id == vote_id).order_by(models.Election.id)
        )
    )
