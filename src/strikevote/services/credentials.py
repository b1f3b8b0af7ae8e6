"""The credential authority: one credential per eligible member, per local election.

Private credentials leave only as letters in the authority's outbox directory (one ``.eml`` per member, mode
0600, to print or mail) and in the authority's encrypted store (:mod:`strikevote.services.castore`), from which
queued credential letters are rendered when the sender mails them; the server receives the public credentials
alone (and, for a vote with a ``[mail]`` block, which member holds which, to address confirmations).  Opening the vote then
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
import secrets
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from strikevote.belenios.codec import dumps
from strikevote.belenios.setup import generate_credentials, public_credentials_json
from strikevote.crypto.groups import group_by_name
from strikevote.crypto.hashing import sha256_b64
from strikevote.crypto.randomness import Randomness
from strikevote.db import models
from strikevote.mail.letters import VoteFacts, build_message, new_message_id, render
from strikevote.mail.outbox import queue_credential_letters, record_recipients
from strikevote.mail.settings import MailPlan, MailSettings
from strikevote.services.board import Board, payloads
from strikevote.services.castore import CAStore, StoredCredential
from strikevote.services.definition_sections import LocalDef
from strikevote.services.errors import NotFound, StateError
from strikevote.services.votes import elections, load_vote, require_state


@dataclass(frozen=True)
class Letter:
    member_id: str
    local_id: str
    email: str
    uuid: str
    credential: str
    path: Path | None  # None when the letter went only to the authority's store


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


#: Letters written to files for a vote without a ``[mail]`` block point at ``strikevote serve``'s default address.
FILE_LETTERS: Final = MailSettings(
    from_name="Credential Authority",
    from_address="credential-authority@strikevote.invalid",
    public_url="http://127.0.0.1:8000",
)


def _letter_file(
    facts: VoteFacts,
    settings: MailSettings,
    local: LocalDef,
    member: models.Member,
    uuid: str,
    credential: str,
    election_fingerprint: str,
    credentials_fingerprint: str,
    now: datetime,
) -> bytes:
    """The credential letter as an RFC 5322 message, exactly as the sender would mail it."""
    rendered = render(
        "credential",
        member.language,
        facts,
        settings,
        name=member.name,
        local_name=local.name,
        question=local.question,
        uuid=uuid,
        credential=credential,
        election_fingerprint=election_fingerprint,
        credentials_fingerprint=credentials_fingerprint,
    )
    domain = settings.domain
    message_id = new_message_id(f"letter.{secrets.token_hex(12)}", domain)
    return build_message(
        rendered, settings, member.name, member.email or f"{member.member_id}@{domain}", message_id, now
    )


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


def members_to_issue(db: sessionmaker[Session], vote_id: str) -> int:
    """How many credentials :func:`issue_credentials` will make: the vote's eligible members.

    :raises NotFound: no such vote.
    """
    with db() as s:
        load_vote(s, vote_id)
        return int(
            s.scalar(
                select(func.count())
                .select_from(models.Member)
                .where(models.Member.vote_id == vote_id, models.Member.eligible)
            )
            or 0
        )


def issue_credentials(
    db: sessionmaker[Session],
    vote_id: str,
    outbox: Path | None,
    rng: Randomness,
    now: datetime,
    progress: Callable[[int], None] | None = None,
    store: CAStore | None = None,
) -> list[Letter]:
    """Generate every credential; write letters to ``outbox`` and/or keep them in the authority's ``store``;
    store public credentials; open each local's board.

    A vote with a ``[mail]`` block needs ``store``: its credential letters are queued in the outbox and
    rendered from the store when sent (the database never holds a private credential), and the holders of
    the public credentials are recorded to address confirmations and reminders.

    All or nothing: on any failure (a letter that cannot be written, a database error) no letter is left in
    ``outbox``, the store forgets the vote's credentials, nothing is stored and the vote stays in state
    ``credentials``. A letter already in ``outbox`` under the same name (an earlier, abandoned run) is replaced.
    """
    if outbox is None and store is None:
        raise ValueError("issue_credentials needs an outbox directory or a store")
    staging: Path | None = None
    if outbox is not None:
        outbox.mkdir(parents=True, exist_ok=True)
        staging = Path(
            tempfile.mkdtemp(prefix=".issuing-", dir=outbox)
        )  # same file system: moves are renames
    moved: list[Path] = []
    stored = False
    try:
        with db.begin() as s:
            letters = _issue(s, vote_id, staging, outbox, rng, now, progress, store is not None)
            s.flush()  # surface constraint errors before any letter goes into place
            if store is not None:
                stored = True
                store.replace_vote(
                    vote_id,
                    (
                        StoredCredential(vote_id, x.member_id, x.local_id, x.uuid, x.credential)
                        for x in letters
                    ),
                )
            if staging is not None:
                for letter in letters:
                    if letter.path is not None:
                        os.replace(staging / letter.path.name, letter.path)
                        moved.append(letter.path)
        return letters
    except BaseException:
        for path in moved:  # the transaction did not commit: these letters' credentials do not exist
            path.unlink(missing_ok=True)
        if stored and store is not None:
            store.forget_vote(vote_id)
        raise
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)


def _issue(
    s: Session,
    vote_id: str,
    staging: Path | None,
    outbox: Path | None,
    rng: Randomness,
    now: datetime,
    progress: Callable[[int], None] | None,
    with_store: bool,
) -> list[Letter]:
    """Write every letter to ``staging`` and add the rows of the issue to ``s``; the letters' final paths."""
    letters: list[Letter] = []
    vote, defn = load_vote(s, vote_id)
    require_state(vote, "credentials")
    plan = MailPlan.from_json(vote.mail_settings)
    if plan.mail is not None and not with_store:
        raise StateError(
            f"vote '{vote_id}' mails its credential letters ([mail] in the vote file): give the credential "
            "authority's store (--store FILE), from which they are rendered when sent"
        )
    settings = plan.mail or FILE_LETTERS
    facts = VoteFacts(vote_id, defn.union, defn.title, defn.opens, defn.closes, defn.timezone)
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
            path = None
            if staging is not None and outbox is not None:
                name = letter_name(el.local_id, m.member_id)
                msg = _letter_file(
                    facts, settings, local, m, el.uuid, pair.private, el.fingerprint, fingerprint, now
                )
                _write_private(staging / name, msg)  # O_EXCL: two members never share a letter
                path = outbox / name
            letters.append(Letter(m.member_id, el.local_id, m.email or "", el.uuid, pair.private, path))
            m.credential_issued = True
            if progress:
                progress(1)
        if plan.mail is not None:
            record_recipients(
                s, el.id, [(m.member_id, p.public) for m, p in zip(members, pairs, strict=True) if m.email]
            )
            queue_credential_letters(s, vote_id, members, now, status="queued")
        elif outbox is not None:
            queue_credential_letters(s, vote_id, members, now, status="written")
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


def queue_resend(
    db: sessionmaker[Session], vote_id: str, member_id: str, store: CAStore, now: datetime
) -> int:
    """Queue the member's credential letter again, with the same credential from the store; the row's id.

    Never a new credential: the public credential lists are on the boards since the vote opened.
    """
    with db.begin() as s:
        vote, _ = load_vote(s, vote_id)
        require_state(vote, "open")
        if MailPlan.from_json(vote.mail_settings).mail is None:
            raise StateError(f"vote '{vote_id}' has no [mail] block: print the member's letter instead")
        member = s.scalar(
            select(models.Member).where(
                models.Member.vote_id == vote_id, models.Member.member_id == member_id
            )
        )
        if member is None or not member.credential_issued:
            raise NotFound(f"vote '{vote_id}' issued no credential to member '{member_id}'")
        if not member.email:
            raise StateError(f"member '{member_id}' has no email address: print their letter instead")
        store.get(vote_id, member_id)  # the same credential must be there, before anything is queued
        row = models.Outbox(
            vote_id=vote_id,
            member_id=member.member_id,
            email=member.email,
            local_id=member.local_id,
            language=member.language,
            kind="credential",
            status="queued",
            batch=f"resend:{now.isoformat()}",
            attempts=0,
            created_at=now,
        )
        s.add(row)
        s.flush()
        return row.id
