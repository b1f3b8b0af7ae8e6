"""The claims: which outbox rows one sender run holds, and every commit that records what became of them.

This is what the database knows of a run (:mod:`.sender` is what goes on the wire).  A run's rows are claimed
under a random token of its own: rows a dead sender left ``sending`` go back to ``queued``
(:meth:`Claims.reconcile`); due rows are claimed in batches, ``queued``/``deferred`` → ``sending`` under the
token, committed before any byte goes out, with a Message-ID fixed at the first claim and kept on every retry
(:meth:`Claims.claim`); a group is marked ``sent`` by a compare-and-set on the claim, inside whose transaction
the sender writes the group's final dots, held (:meth:`Claims.mark_sent`); refusals are settled ``deferred``
(exponential :class:`Backoff`) or ``failed``, recipient addresses masked (:meth:`Claims.settle`); rows claimed
but not attempted go back untouched (:meth:`Claims.release`).  What a kill at each of these moments does is
in :mod:`.sender`'s docstring.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final, cast

from sqlalchemy import Engine, Table, bindparam, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from strikevote.db import models
from strikevote.mail.letters import new_message_id
from strikevote.mail.rendering import OutboxRow

_ADDRESS = re.compile(r"[^\s<>()\[\]\"',;:]+@[^\s<>()\[\]\"',;:]+")
#: The background loop takes back a 'sending' row only when its claim is this old (an SMTP transaction is
#: bounded by the 30 s socket timeout per step); an explicit `mail send` takes them all back at once.
STALE_CLAIM = timedelta(minutes=10)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Backoff:
    """Deferred messages wait ``base · factor^(attempts-1)`` seconds (at most ``maximum``); after
    ``max_attempts`` temporary failures a message is failed."""

    base: float = 60.0
    factor: float = 2.0
    maximum: float = 3600.0
    max_attempts: int = 12

    def delay(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.maximum, self.base * self.factor ** max(0, attempts - 1)))


DEFAULT_BACKOFF: Final = Backoff()


@dataclass
class SendReport:
    sent: int = 0
    deferred: int = 0
    failed: int = 0
    reconciled: int = 0  # rows a dead sender left 'sending', put back to 'queued'
    waiting_for_store: int = 0  # credential letters left for a sender with the authority's store
    unreachable: str | None = None
    login_refused: bool = False  # ``unreachable`` says the server refused the login
    replies: list[str] = field(default_factory=list)  # distinct refusals seen (no recipient)
    groups: int = 0  # commits that marked a group of messages sent
    unguarded_s: float = 0.0  # time spent between those commits and their last dot written (see .sender)


class Claims:
    """The rows of one run, under its random ``token``: claimed, marked sent, settled or released, each step
    its own transaction.  ``report`` is the run's, counted here for what the database steps learn."""

    def __init__(
        self,
        db: sessionmaker[Session],
        engine: Engine,
        vote_id: str,
        domain: str,
        kinds: tuple[str, ...],
        backoff: Backoff,
        honor_backoff: bool,
        clock: Callable[[], datetime],
        claim_size: int,
        only_ids: list[int] | None,
        stale_after: timedelta | None,
        report: SendReport,
    ) -> None:
        self.db, self.engine, self.vote_id, self.domain = db, engine, vote_id, domain
        self.kinds, self.backoff, self.honor_backoff = kinds, backoff, honor_backoff
        self.clock, self.claim_size = clock, claim_size
        self.only_ids = only_ids
        self.stale_after = stale_after
        self.report = report
        self.token = secrets.token_hex(16)
        self.started = clock()

    def reconcile(self) -> None:
        """Rows another sender left ``sending`` go back to ``queued``: all of them (a restart after a crash),
        or only those claimed more than ``stale_after`` ago (the server's loop, which may run beside a live
        `mail send`).  Either way the compare-and-set in :meth:`mark_sent` keeps a live owner from sending a
        row taken from it."""
        o = models.Outbox
        where = [o.vote_id == self.vote_id, o.status == "sending"]
        if self.stale_after is not None:
            where.append(o.claimed_at < self.clock() - self.stale_after)
        with self.db.begin() as s:
            result = s.execute(
                update(o)
                .where(*where)
                .values(status="queued", claim=None)
                .execution_options(synchronize_session=False)
            )
            self.report.reconciled = int(getattr(result, "rowcount", 0) or 0)

    def claim(self) -> list[OutboxRow]:
        o, t = models.Outbox, cast(Table, models.Outbox.__table__)
        now = self.clock()
        with self.db.begin() as s:
            q = select(o.id).where(
                o.vote_id == self.vote_id, o.status.in_(("queued", "deferred")), o.kind.in_(self.kinds)
            )
            if self.only_ids is not None:
                q = q.where(o.id.in_(self.only_ids))
            if self.honor_backoff:
                q = q.where(or_(o.next_attempt_at.is_(None), o.next_attempt_at <= now))
            else:  # an explicit `mail send`: retry deferred messages now, each once per run
                q = q.where(or_(o.claimed_at.is_(None), o.claimed_at < self.started))
            ids = list(s.scalars(q.order_by(o.id).limit(self.claim_size)))
            if not ids:
                return []
            s.execute(
                update(t)
                .where(t.c.id == bindparam("b_id"), or_(t.c.status == "queued", t.c.status == "deferred"))
                .values(
                    status="sending",
                    claim=self.token,
                    claimed_at=now,
                    message_id=func.coalesce(t.c.message_id, bindparam("b_mid")),
                ),
                [
                    {"b_id": i, "b_mid": new_message_id(f"{i}.{secrets.token_hex(8)}", self.domain)}
                    for i in ids
                ],
            )
            m = models.Member
            rows = s.execute(
                select(o.id, o.member_id, o.local_id, o.email, o.language, o.kind, o.tracker, o.message_id)
                .add_columns(o.attempts, m.name)
                .join(m, (m.vote_id == o.vote_id) & (m.member_id == o.member_id))
                .where(o.id.in_(ids), o.claim == self.token, o.status == "sending")
                .order_by(o.id)
            ).all()
        return [OutboxRow(*r) for r in rows]

    def mark_sent(self, ids: list[int], then: Callable[[set[int]], None]) -> None:
        """The compare-and-set around the dots: mark ``sent`` the ids this run still holds, call ``then`` with
        them (it writes their dots, held), and commit.

        That commit is not flushed to disk before it returns (SQLite ``synchronous=NORMAL`` for it alone,
        PostgreSQL ``synchronous_commit = off``): for a process that dies it is as final as any other once
        written, and a flush for every group would cost milliseconds each.  A power cut may undo the mark:
        the row then reads ``sending`` and is sent again, under its Message-ID."""
        o, t = models.Outbox, cast(Table, models.Outbox.__table__)
        now = self.clock()
        with self.engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            raw = conn.connection.dbapi_connection
            if sqlite and raw is not None:  # a safety level is set outside a transaction
                raw.execute("PRAGMA synchronous=NORMAL")
            try:
                with conn.begin() as txn:
                    if not sqlite:
                        conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
                    conn.execute(
                        update(t)
                        .where(t.c.id.in_(ids), t.c.claim == self.token, t.c.status == "sending")
                        .values(status="sent", sent_at=now, attempts=t.c.attempts + 1, last_error=None)
                    )
                    won = set(
                        conn.scalars(
                            select(o.id).where(o.id.in_(ids), o.claim == self.token, o.status == "sent")
                        )
                    )
                    then(won)
                    txn.commit()
            finally:
                if sqlite and raw is not None:
                    raw.execute("PRAGMA synchronous=FULL")

    def settle(self, outcomes: list[tuple[OutboxRow, int, str]]) -> None:
        """Rows that did not go out: ``(row, code, reply)``; 5xx → failed, else deferred (or failed after too
        many attempts)."""
        if not outcomes:
            return
        o = models.Outbox
        now = self.clock()
        with self.db.begin() as s:
            for row, code, reply in outcomes:
                attempts = row.attempts + 1
                permanent = 500 <= code < 600
                if not permanent and attempts >= self.backoff.max_attempts:
                    permanent, reply = True, f"gave up after {attempts} attempts; last: {reply}"
                # Servers often echo the recipient ("<ann@x>: no such user"): an officials' view of a failed
                # reminder must not name who has not voted, so addresses are never kept.
                text = _ADDRESS.sub("<address>", f"{code} {reply}" if code else reply)
                values: dict[str, Any] = {
                    "attempts": attempts,
                    "last_error": text[:1000],
                    "claim": None,
                    "sent_at": None,
                    "status": "failed" if permanent else "deferred",
                    "next_attempt_at": None if permanent else now + self.backoff.delay(attempts),
                }
                s.execute(
                    update(o)
                    .where(o.id == row.id, o.claim == self.token)
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )
                if permanent:
                    self.report.failed += 1
                else:
                    self.report.deferred += 1
                if text not in self.report.replies and len(self.report.replies) < 20:
                    self.report.replies.append(text)

    def release(self) -> None:
        """Rows claimed but not attempted (a stop or an unreachable server) go back, untouched."""
        o = models.Outbox
        with self.db.begin() as s:
            s.execute(
                update(o)
                .where(o.claim == self.token, o.status == "sending")
                .values(status="queued", claim=None)
                .execution_options(synchronize_session=False)
            )

    def waiting_for_store(self) -> int:
        """Credential letters still due, left for a sender with the authority's store."""
        o = models.Outbox
        with self.db() as s:
            return int(
                s.scalar(
                    select(func.count())
                    .select_from(o)
                    .where(
                        o.vote_id == self.vote_id,
                        o.kind == "credential",
                        o.status.in_(("queued", "deferred")),
                    )
                )
                or 0
            )
