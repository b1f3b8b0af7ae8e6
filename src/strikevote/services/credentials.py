"""The credential authority: one credential per eligible member, per local election.

Private credentials leave only as letters in the authority's outbox directory (one ``.eml`` per member, mode
0600, to be sent by SMTP or printed); the server receives the public credentials alone.  Opening the vote then
writes each local's Setup event (election, trustees, public credentials).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from strikevote.belenios.codec import dumps
from strikevote.belenios.setup import generate_credentials, public_credentials_json
from strikevote.crypto.groups import group_by_name
from strikevote.crypto.randomness import Randomness
from strikevote.db import models
from strikevote.services.board import Board
from strikevote.services.votes import elections, load_vote, require_state


@dataclass(frozen=True)
class Letter:
    member_id: str
    local_id: str
    email: str
    uuid: str
    credential: str
    path: Path


def _letter(
    union: str,
    title: str,
    local_name: str,
    member_name: str,
    email: str,
    uuid: str,
    credential: str,
    closes: datetime,
) -> bytes:
    """A plain-text RFC 5322 message (built by hand: ``email.message`` costs a millisecond per letter)."""
    subject = f"{union}: your voting credential - {title}"
    if not subject.isascii():
        subject = Header(subject, "utf-8").encode()
    body = (
        f"Dear {member_name},\n\n"
        f"You are eligible to vote in {title} as a member of {local_name}.\n\n"
        f"  Election: {uuid}\n  Your credential: {credential}\n\n"
        f"Keep it private: anyone holding it can vote in your place. Voting closes {closes:%A %d %B %Y at %H:%M %Z}.\n"
        "After you vote you will receive a receipt (your ballot's tracker); check that it appears on the public\n"
        "bulletin board. The server never sees this credential, only its public part.\n"
    )
    headers = (
        f"To: {email}\nFrom: credential-authority@strikevote.invalid\nSubject: {subject}\n"
        "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
    )
    return (headers + body).encode("utf-8")


def issue_credentials(
    db: sessionmaker[Session],
    vote_id: str,
    outbox: Path,
    rng: Randomness,
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> list[Letter]:
    """Generate and mail-merge every credential; store public credentials; open each local's board."""
    outbox.mkdir(parents=True, exist_ok=True)
    letters: list[Letter] = []
    with db.begin() as s:
        vote, defn = load_vote(s, vote_id)
        require_state(vote, "credentials")
        g = group_by_name(defn.group)
        for el in elections(s, vote_id):
            members = list(
                s.scalars(
                    select(models.Member)
                    .where(
                        models.Member.vote_id == vote_id,
                        models.Member.local_id == el.local_id,
                        models.Member.eligible,
                    )
                    .order_by(models.Member.member_id)
                )
            )
            pairs = generate_credentials(g, el.uuid, len(members), rng)
            local = defn.local(el.local_id)
            for m, pair in zip(members, pairs, strict=True):
                path = outbox / f"{el.local_id}-{m.member_id}.eml"
                msg = _letter(
                    defn.union,
                    defn.title,
                    local.name,
                    m.name,
                    m.email or "",
                    el.uuid,
                    pair.private,
                    defn.closes,
                )
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "wb") as f:
                    f.write(msg)
                letters.append(Letter(m.member_id, el.local_id, m.email or "", el.uuid, pair.private, path))
                s.add(
                    models.Outbox(
                        vote_id=vote_id,
                        member_id=m.member_id,
                        email=m.email or "",
                        local_id=el.local_id,
                        status="written",
                        created_at=now,
                    )
                )
                m.credential_issued = True
                if progress:
                    progress(1)
            s.add_all(models.Credential(election_id=el.id, public=p.public) for p in pairs)
            board = Board(s, el.id)
            e = board.add_data(el.election_json)
            t = board.add_data(vote.trustees_json or "[]")
            c = board.add_data(public_credentials_json(g, [p.public for p in pairs]))
            board.add_event("Setup", board.add_data(dumps({"election": e, "trustees": t, "credentials": c})))
        vote.state = "open"
    return letters
