"""SQLAlchemy 2 models.  The database enforces the invariants it can (DESIGN.md §10):

* one ballot per credential under ``forbidden`` — ``UNIQUE(election_id, credential, seq)`` with seq = 1 forced
  by the ballot box, so of two concurrent first casts exactly one commits;
* the public board of each local election is an append-only hash chain — ``PRIMARY KEY(election_id, height)``
  serialises appends: a concurrent append at the same height fails and is retried on the new tip;
* the server holds public credentials only: there is no column for a private credential or a trustee secret.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Vote(Base):
    __tablename__ = "votes"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    union_name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    definition: Mapped[str] = mapped_column(Text)  # the vote definition as canonical JSON
    group_name: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    roll_digest: Mapped[str] = mapped_column(String(64))
    trustees_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)  # when it was
    # The vote file's [mail] and [reminders] blocks as JSON (strikevote.mail.settings); not part of vote.json,
    # since they name the SMTP server. Never a password: only the environment variable or file that holds it.
    mail_settings: Mapped[str | None] = mapped_column(Text, nullable=True)
    __table_args__ = (
        CheckConstraint(
            "state IN ('keys', 'credentials', 'open', 'closed', 'tallied', 'published')", name="vote_state"
        ),
    )


class Member(Base):
    """The roll snapshot frozen when the vote was called; ``reasons`` lists why a member is excluded."""

    __tablename__ = "members"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    vote_id: Mapped[str] = mapped_column(ForeignKey("votes.id"), index=True)
    member_id: Mapped[str] = mapped_column(String(64))
    local_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    eligible: Mapped[bool] = mapped_column(Boolean)
    reasons: Mapped[str] = mapped_column(Text, default="")
    credential_issued: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")  # of their letters
    __table_args__ = (UniqueConstraint("vote_id", "member_id"),)


class Trustee(Base):
    __tablename__ = "trustees"
    vote_id: Mapped[str] = mapped_column(ForeignKey("votes.id"), primary_key=True)
    index: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    certificate: Mapped[str | None] = mapped_column(Text, nullable=True)
    polynomial: Mapped[str | None] = mapped_column(Text, nullable=True)
    verification_key: Mapped[str | None] = mapped_column(Text, nullable=True)


class Election(Base):
    """One Belenios election per local."""

    __tablename__ = "elections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    vote_id: Mapped[str] = mapped_column(ForeignKey("votes.id"), index=True)
    local_id: Mapped[str] = mapped_column(String(64))
    uuid: Mapped[str] = mapped_column(String(64), unique=True)
    election_json: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(64))
    eligible: Mapped[int] = mapped_column(Integer)
    __table_args__ = (UniqueConstraint("vote_id", "local_id"),)


class Credential(Base):
    __tablename__ = "credentials"
    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id"), primary_key=True)
    public: Mapped[str] = mapped_column(String(700), primary_key=True)


class Record(Base):
    """A data object of the public board, named by the SHA-256 of its content."""

    __tablename__ = "records"
    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id"), primary_key=True)
    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)  # write order, so the archive can be exported as written
    content: Mapped[str] = mapped_column(Text)
    # The board's append reads max(seq) on every cast: without this index it scans the election's records.
    __table_args__ = (Index("ix_records_election_seq", "election_id", "seq", unique=True),)


class Event(Base):
    __tablename__ = "events"
    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id"), primary_key=True)
    height: Mapped[int] = mapped_column(Integer, primary_key=True)
    hash: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(32))
    content: Mapped[str] = mapped_column(Text)
    data_seq: Mapped[int] = mapped_column(Integer)  # records with seq ≤ this precede the event in the archive
    __table_args__ = (UniqueConstraint("election_id", "hash"),)


class DecryptionProof(Base):
    """A trustee's strong decryption proofs for one local (strikevote's, beside its Belenios PartialDecryption)."""

    __tablename__ = "decryption_proofs"
    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id"), primary_key=True)
    owner: Mapped[int] = mapped_column(Integer, primary_key=True)
    content: Mapped[str] = mapped_column(Text)  # JSON: one proof per question per answer


class Ballot(Base):
    __tablename__ = "ballots"
    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id"), primary_key=True)
    credential: Mapped[str] = mapped_column(String(700), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    tracker: Mapped[str] = mapped_column(String(64))
    record_hash: Mapped[str] = mapped_column(String(64))
    height: Mapped[int] = mapped_column(Integer)
    cast_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The replay check looks a tracker up on every cast; unique, so a concurrent replay cannot slip in either.
    __table_args__ = (Index("ix_ballots_election_tracker", "election_id", "tracker", unique=True),)


class MailRecipient(Base):
    """Which member holds which public credential, so that confirmations and reminders can be addressed.

    Only the mail code reads it (strikevote.mail.outbox); no officials-facing output does.  Rows are written in
    the order of the public credentials, never of the members, so row order says nothing either.
    """

    __tablename__ = "mail_recipients"
    election_id: Mapped[int] = mapped_column(ForeignKey("elections.id"), primary_key=True)
    credential: Mapped[str] = mapped_column(String(700), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(64))


class Outbox(Base):
    """The durable outbox (strikevote.mail.outbox): one row per message, queued → sending → sent, or deferred
    (retried at ``next_attempt_at``) or failed (``last_error`` holds the server's reply).

    A row never holds a private credential: a credential letter is rendered at send time from the credential
    authority's encrypted store.  ``status`` ``written`` is a letter handed to the authority as a file only.
    """

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    vote_id: Mapped[str] = mapped_column(ForeignKey("votes.id"), index=True)
    member_id: Mapped[str] = mapped_column(String(64))
    email: Mapped[str] = mapped_column(String(320))
    local_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # queued | sending | sent | deferred | failed | written
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(16), default="credential", server_default="credential")
    language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    tracker: Mapped[str | None] = mapped_column(String(64), nullable=True)  # confirmations: the receipt
    batch: Mapped[str | None] = mapped_column(String(64), nullable=True)  # reminders: which round queued it
    message_id: Mapped[str | None] = mapped_column(String(200), nullable=True)  # set when first claimed
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    claim: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the sender holding a 'sending' row
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The sender picks due rows of one vote by state; mail status counts them by state.
    __table_args__ = (
        Index("ix_outbox_vote_status", "vote_id", "status"),
        UniqueConstraint("message_id", name="uq_outbox_message_id"),
    )


class Official(Base):
    """An election-committee account for the web console: the Argon2 hash of the password, never the password."""

    __tablename__ = "officials"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def table_of(entity: type[Base]) -> Table:
    """The Core table of a mapped class, typed (for prebuilt statements that bypass the ORM's machinery)."""
    table = entity.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{entity.__name__} is not mapped to a table")
    return table
