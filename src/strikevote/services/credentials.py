"""The credential authority: one credential per eligible member, per local election.

Private credentials leave only as letters in the authority's outbox directory (one ``.eml`` per member, mode
0600, to be sent by SMTP or printed); the server receives the public credentials alone.  Opening the vote then
writes each local's Setup event (election, trustees, public credentials).

Issuing is all or nothing: the letters are first written to a private staging directory inside the outbox, moved
into place only once every letter and database row is ready, and removed again if the database transaction then
fails, so a failed run leaves the vote in state ``credentials`` with no letter in the outbox, ready to retry.
Letter file names are built from the local and member ids through :func:`letter_name`, which never lets an id
choose a directory.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from pathlib import Path
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from strikevote.belenios.codec import dumps
from strikevote.belenios.setup import generate_credentials, public_credentials_json
from strikevote.crypto.groups import group_by_name
from strikevote.crypto.hashing import sha256_b64
from strikevote.crypto.randomness import Randomness
from strikevote.db import models
from strikevote.services.board import Board, payloads
from strikevote.services.errors import StateError
from strikevote.services.votes import elections, load_vote, require_state


@dataclass(frozen=True)
class Letter:
    member_id: str
    local_id: str
    email: str
    uuid: str
    credential: str
    path: Path


_SAFE_NAME_PART: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_UNSAFE_CHARS: Final = re.compile(r"[^A-Za-z0-9._-]+")


def _name_part(value: str) -> str:
    """``value`` when it is a plain file-name part, else a readable stand-in made unique by a hash of it."""
    if _SAFE_NAME_PART.fullmatch(value):
        return value
    readable = _UNSAFE_CHARS.sub("_", value).lstrip("._-")[:40]
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{readable}~{digest}" if readable else f"~{digest}"


def letter_name(local_id: str, member_id: str) -> str:
    """The file name of a member's letter: ``<local>-<member>.eml``.

    The ids come from the vote definition and the roll, so they are not trusted here: an id that is not made
    of ASCII letters, digits, ``.``, ``_`` and ``-`` (starting with a letter or digit, at most 64 characters) is
    replaced by a sanitised form with a hash suffix (``~`` never occurs in a valid id, so no two members share a
    name). The result is always a single path component.
    """
    name = f"{_name_part(local_id)}-{_name_part(member_id)}.eml"
    if Path(name).name != name or name.startswith("."):  # pragma: no cover - guaranteed by _name_part
        raise ValueError(f"unsafe letter file name {name!r}")
    return name


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _letter(
    union: str,
    title: str,
    local_name: str,
    member_name: str,
    email: str,
    uuid: str,
    credential: str,
    closes: datetime,
    fingerprint: str,
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
        "bulletin board. The server never sees this credential, only its public part.\n\n"
        f"  Credential fingerprint of {local_name}: {fingerprint}\n"
        "This fingerprint commits to the list of every public credential of your local: the published\n"
        "results must show the same one, or the list was changed after the letters were sent.\n"
    )
    headers = (
        f"To: {email}\nFrom: credential-authority@strikevote.invalid\nSubject: {subject}\n"
        "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
    )
    return (headers + body).encode("utf-8")


def credentials_fingerprint(session: Session, election_row: models.Election) -> str:
    """The local's credential fingerprint: Base64Compact(SHA-256) of the public credential list exactly as the
    Setup event of its board holds it (as Belenios computes ``credentials_fingerprint``); DESIGN.md §12."""
    setup = next(payloads(session, election_row.id, "Setup"), None)
    if setup is None:
        raise StateError(f"local {election_row.local_id} has no credentials yet")
    rec = session.get(models.Record, (election_row.id, json.loads(setup)["credentials"]))
    if rec is None:
        raise StateError(f"local {election_row.local_id}: the credential list is missing from its board")
    return sha256_b64(rec.content)


def issue_credentials(
    db: sessionmaker[Session],
    vote_id: str,
    outbox: Path,
    rng: Randomness,
    now: datetime,
    progress: Callable[[int], None] | None = None,
) -> list[Letter]:
    """Generate and mail-merge every credential; store public credentials; open each local's board.

    All or nothing: on any failure (a letter that cannot be written, a database error) no letter is left in
    ``outbox``, nothing is stored and the vote stays in state ``credentials``. A letter already in ``outbox``
    under the same name (an earlier, abandoned run) is replaced.
    """
    outbox.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".issuing-", dir=outbox))  # same file system: moves are renames
    moved: list[Path] = []
    try:
        with db.begin() as s:
            letters = _issue(s, vote_id, staging, outbox, rng, now, progress)
            s.flush()  # surface constraint errors before any letter goes into place
            for letter in letters:
                os.replace(staging / letter.path.name, letter.path)
                moved.append(letter.path)
        return letters
    except BaseException:
        for path in moved:  # the transaction did not commit: these letters' credentials do not exist
            path.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _issue(
    s: Session,
    vote_id: str,
    staging: Path,
    outbox: Path,
    rng: Randomness,
    now: datetime,
    progress: Callable[[int], None] | None,
) -> list[Letter]:
    """Write every letter to ``staging`` and add the rows of the issue to ``s``; the letters' final paths."""
    letters: list[Letter] = []
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
        public_list = public_credentials_json(g, [p.public for p in pairs])
        fingerprint = sha256_b64(public_list)  # printed on every letter of this local
        local = defn.local(el.local_id)
        for m, pair in zip(members, pairs, strict=True):
            name = letter_name(el.local_id, m.member_id)
            msg = _letter(
                defn.union,
                defn.title,
                local.name,
                m.name,
                m.email or "",
                el.uuid,
                pair.private,
                defn.closes,
                fingerprint,
            )
            _write_private(staging / name, msg)  # O_EXCL: two members never share a letter
            letters.append(
                Letter(m.member_id, el.local_id, m.email or "", el.uuid, pair.private, outbox / name)
            )
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
        # Rows in an order unrelated to the members' (sorted by the public credential itself): insertion order
        # (and so a table's physical order) must not say which member holds which credential.
        s.add_all(models.Credential(election_id=el.id, public=pub) for pub in sorted(p.public for p in pairs))
        board = Board(s, el.id)
        e = board.add_data(el.election_json)
        t = board.add_data(vote.trustees_json or "[]")
        c = board.add_data(public_list)
        board.add_event("Setup", board.add_data(dumps({"election": e, "trustees": t, "credentials": c})))
    vote.state = "open"
    return letters
