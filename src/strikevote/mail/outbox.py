"""The durable outbox: what is queued, and the counts officials may see.

States: ``queued`` → ``sending`` (claimed by one sender, before any byte goes out) → ``sent``; or ``deferred``
(a temporary failure: retried at ``next_attempt_at``) or ``failed`` (a permanent refusal, with the server's
reply).  ``written``: a credential letter handed to the credential authority as a file, not for the sender.

Three kinds: ``credential`` (queued when credentials are issued, rendered at send time from the authority's
store), ``confirmation`` (queued by the ballot box in the transaction that commits the ballot, so an accepted
cast is always confirmed), ``reminder`` (to members who have not voted yet).  Nothing here lists who has or has
not voted: :func:`status` returns counts per local, and :func:`queue_reminders` only how many it queued.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from sqlalchemy import (
    DateTime,
    Insert,
    Integer,
    String,
    and_,
    bindparam,
    exists,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.orm import Session, sessionmaker

from strikevote.db import models

STATES = ("queued", "sending", "sent", "deferred", "failed", "written")
KINDS = ("credential", "confirmation", "reminder")


def record_recipients(s: Session, election_id: int, holders: Iterable[tuple[str, str]]) -> None:
    """Remember which member holds which public credential (``(member_id, public)`` pairs), in credential order
    so that row order follows the credentials, not the members."""
    s.add_all(
        models.MailRecipient(election_id=election_id, credential=public, member_id=member_id)
        for member_id, public in sorted(holders, key=lambda pair: pair[1])
    )


def queue_credential_letters(
    s: Session, vote_id: str, members: Sequence[models.Member], now: datetime, *, status: str = "queued"
) -> int:
    """One credential letter per member with an email; ``status`` ``written`` when only files are made."""
    n = 0
    for m in members:
        if not m.email:
            continue
        s.add(
            models.Outbox(
                vote_id=vote_id,
                member_id=m.member_id,
                email=m.email,
                local_id=m.local_id,
                language=m.language,
                kind="credential",
                status=status,
                attempts=0,
                created_at=now,
            )
        )
        n += 1
    return n


def _confirmation_insert() -> Insert:
    # Core tables, not ORM entities: an ORM-enabled INSERT runs SQLAlchemy's bulk-persistence machinery (about
    # 2 ms a cast); this one goes straight to the driver with its compiled form cached.
    recipients, members = models.table_of(models.MailRecipient), models.table_of(models.Member)
    r, m = recipients.c, members.c
    return insert(models.table_of(models.Outbox)).from_select(
        ["vote_id", "member_id", "email", "local_id", "language", "kind", "status", "tracker", "attempts", "created_at"],
        select(
            m.vote_id,
            m.member_id,
            m.email,
            m.local_id,
            m.language,
            literal("confirmation", String),
            literal("queued", String),
            bindparam("tracker", type_=String),
            literal(0, Integer),
            bindparam("now", type_=DateTime(timezone=True)),
        )
        .select_from(recipients)
        .join(
            members,
            and_(m.vote_id == bindparam("vote_id", type_=String), m.member_id == r.member_id),
        )
        .where(
            r.election_id == bindparam("election_id", type_=Integer),
            r.credential == bindparam("credential", type_=String),
            m.email.is_not(None),
        ),
    )  # fmt: skip


# Built once (the ballot box runs it on every cast); parameters: vote_id, election_id, credential, tracker, now.
CONFIRMATION_INSERT: Final = _confirmation_insert()


def confirmation_params(
    vote_id: str, election_id: int, credential: str, tracker: str, now: datetime
) -> dict[str, object]:
    return {
        "vote_id": vote_id,
        "election_id": election_id,
        "credential": credential,
        "tracker": tracker,
        "now": now,
    }


def queue_confirmation(s: Session, el: models.Election, credential: str, tracker: str, now: datetime) -> None:
    """Queue the confirmation of an accepted cast, in the caller's (the ballot's) transaction.

    One INSERT … SELECT (:data:`CONFIRMATION_INSERT`): nothing is queued when no member with an email holds
    ``credential`` (a vote issued without mail).  The member stays inside the database: the ballot box learns
    nothing about them.
    """
    s.execute(CONFIRMATION_INSERT, confirmation_params(el.vote_id, el.id, credential, tracker, now))


def queue_reminders(
    db: sessionmaker[Session], vote_id: str, now: datetime, batch: str, local_id: str | None = None
) -> int:
    """Queue one reminder per member who holds a credential, has an email and has not voted; how many.

    ``batch`` names the round (``scheduled:<time>`` or ``manual:<time>``), so a scheduled round runs once.
    """
    r, m, b = models.MailRecipient, models.Member, models.Ballot
    el = models.Election
    voted = exists().where(b.election_id == r.election_id, b.credential == r.credential)
    query = (
        select(m.member_id, m.email, m.local_id, m.language)
        .select_from(r)
        .join(el, el.id == r.election_id)
        .join(m, and_(m.vote_id == el.vote_id, m.member_id == r.member_id))
        .where(el.vote_id == vote_id, m.email.is_not(None), ~voted)
    )
    if local_id is not None:
        query = query.where(el.local_id == local_id)
    with db.begin() as s:
        n = 0
        for member_id, email, local, language in s.execute(query):
            s.add(
                models.Outbox(
                    vote_id=vote_id,
                    member_id=member_id,
                    email=email,
                    local_id=local,
                    language=language,
                    kind="reminder",
                    status="queued",
                    batch=batch,
                    attempts=0,
                    created_at=now,
                )
            )
            n += 1
        return n


def queued(db: sessionmaker[Session], vote_id: str, kind: str) -> int:
    """How many messages of ``kind`` wait in the outbox (``queued``; deferred ones are not counted)."""
    o = models.Outbox
    with db() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(o)
                .where(o.vote_id == vote_id, o.kind == kind, o.status == "queued")
            )
            or 0
        )


def batch_done(s: Session, vote_id: str, batch: str) -> bool:
    return bool(
        s.scalar(
            select(func.count())
            .select_from(models.Outbox)
            .where(models.Outbox.vote_id == vote_id, models.Outbox.batch == batch)
        )
    )


@dataclass
class MailStatus:
    """Counts only: by (local, kind, state), members with no email by local, failures by kind with the
    servers' replies (no recipient).  ``failed_letters``: member ids whose credential letter failed, for the
    credential authority to fix their address and resend (every member gets one, so it says nothing about
    voting)."""

    counts: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    no_email: Counter[str] = field(default_factory=Counter)
    failures: Counter[tuple[str, str]] = field(default_factory=Counter)
    failed_letters: list[str] = field(default_factory=list)


def status(s: Session, vote_id: str) -> MailStatus:
    o, m = models.Outbox, models.Member
    out = MailStatus()
    for local, kind, state, n in s.execute(
        select(o.local_id, o.kind, o.status, func.count())
        .where(o.vote_id == vote_id)
        .group_by(o.local_id, o.kind, o.status)
    ):
        out.counts[local, kind, state] = n
    for local, n in s.execute(
        select(m.local_id, func.count())
        .where(m.vote_id == vote_id, m.eligible, m.email.is_(None))
        .group_by(m.local_id)
    ):
        out.no_email[local] = n
    for kind, reply, n in s.execute(
        select(o.kind, o.last_error, func.count())
        .where(o.vote_id == vote_id, o.status == "failed")
        .group_by(o.kind, o.last_error)
    ):
        out.failures[kind, reply or ""] = n
    out.failed_letters = sorted(
        s.scalars(
            select(o.member_id)
            .where(o.vote_id == vote_id, o.status == "failed", o.kind == "credential")
            .distinct()
        )
    )
    return out
