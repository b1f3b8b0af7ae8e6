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


class Outbox(Base):
    """Credential letters queued by the credential authority: metadata only (the letter itself, which holds the
    private credential, is a file of the authority's or an e-mail, never a database row)."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    vote_id: Mapped[str] = mapped_column(ForeignKey("votes.id"), index=True)
    member_id: Mapped[str] = mapped_column(String(64))
    email: Mapped[str] = mapped_column(String(320))
    local_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # queued | written | sent
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Official(Base):
    """An election-committee account for the web console: the Argon2 hash of the password, never the password."""

    __tablename__ = "officials"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
