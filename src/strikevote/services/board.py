"""The public board of each local election, kept in the database as a Belenios hash chain.

Appends happen inside the caller's transaction: the new event's height is the tip's plus one, and the primary
key (election, height) makes a concurrent append at the same height fail, to be retried on the new tip.  The
archive ``locals/<id>.bel`` is exported from these rows byte for byte as Belenios would have written it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from strikevote.belenios.archive import ArchiveWriter
from strikevote.belenios.archive import Event as BelEvent
from strikevote.db import models


class Board:
    """Appends records and events to one election's chain within a session."""

    def __init__(self, session: Session, election_id: int) -> None:
        self.session = session
        self.election_id = election_id
        tip = session.execute(
            select(models.Event.height, models.Event.hash)
            .where(models.Event.election_id == election_id)
            .order_by(models.Event.height.desc())
            .limit(1)
        ).first()
        self.height = tip[0] if tip else -1
        self.parent: str | None = tip[1] if tip else None
        seq = session.scalar(
            select(func.max(models.Record.seq)).where(models.Record.election_id == election_id)
        )
        self.seq = seq or 0

    def add_data(self, content: str, *, new: bool = False) -> str:
        """Store a data object once; ``new=True`` skips the lookup when the caller knows it is not there."""
        h = hashlib.sha256(content.encode("utf-8")).hexdigest()
        if new or self.session.get(models.Record, (self.election_id, h)) is None:
            self.seq += 1
            self.session.add(
                models.Record(election_id=self.election_id, hash=h, seq=self.seq, content=content)
            )
        return h

    def add_event(self, type_: str, payload: str | None = None) -> tuple[int, str]:
        raw = BelEvent(self.parent, self.height + 1, type_, payload).to_json()
        h = hashlib.sha256(raw.encode()).hexdigest()
        self.height += 1
        self.parent = h
        self.session.add(
            models.Event(
                election_id=self.election_id,
                height=self.height,
                hash=h,
                type=type_,
                content=raw,
                data_seq=self.seq,
            )
        )
        return self.height, h


def last_event_type(session: Session, election_id: int) -> str | None:
    return session.scalar(
        select(models.Event.type)
        .where(models.Event.election_id == election_id)
        .order_by(models.Event.height.desc())
        .limit(1)
    )


def payloads(session: Session, election_id: int, type_: str) -> Iterator[str]:
    """The payload contents of every event of a type, in chain order."""
    import json

    for (content,) in session.execute(
        select(models.Event.content)
        .where(models.Event.election_id == election_id, models.Event.type == type_)
        .order_by(models.Event.height)
    ):
        h = json.loads(content).get("payload")
        if h is not None:
            rec = session.get(models.Record, (election_id, h))
            if rec is not None:
                yield rec.content


def export_archive(session: Session, election_id: int, path: Path, timestamp: int) -> None:
    """Write the Belenios archive of one election, streaming rows in write order."""
    tmp = path.with_suffix(".bel.part")
    tmp.unlink(missing_ok=True)
    records = session.execute(
        select(models.Record.seq, models.Record.hash, models.Record.content)
        .where(models.Record.election_id == election_id)
        .order_by(models.Record.seq)
        .execution_options(yield_per=2000)
    )
    pending = iter(records)
    nxt = next(pending, None)
    with ArchiveWriter(tmp, timestamp=timestamp) as w:
        for ev in session.execute(
            select(models.Event.data_seq, models.Event.content)
            .where(models.Event.election_id == election_id)
            .order_by(models.Event.height)
            .execution_options(yield_per=2000)
        ):
            while nxt is not None and nxt[0] <= ev[0]:
                w.add_data(nxt[2])
                nxt = next(pending, None)
            w.write_event_raw(ev[1])
    tmp.replace(path)
