"""The trustees' key ceremony (Pedersen k-of-n) and their partial decryptions: the committee's side.

Trustees work on their own machines (DESIGN.md §12, :mod:`strikevote.trustee`): the committee hands each one
the public export of the vote (:func:`export_for_trustee`: certificates, polynomials, verification keys, and
after the close each local's archive) and imports the public message the trustee's command wrote
(:func:`import_message`), which is checked before anything is stored: the right vote, a real seat, the right
step, valid signatures and proofs (each step's checks: :mod:`strikevote.services.trustee_import`).  Both
take and return bytes, so the server's API can call them as they are.

:func:`init_trustee`, :func:`publish_polynomial`, :func:`finish_trustee` and :func:`partial_decrypt` run one
trustee's step in-process through that same export → step → import path (the demo and the tests).  The server
stores only public messages; the key files (:mod:`strikevote.trustee.keyfile`) are passphrase-encrypted.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from strikevote.belenios.codec import loads
from strikevote.belenios.election import ElectionParams, Question
from strikevote.belenios.errors import FormatError
from strikevote.belenios.setup import assemble_pedersen, new_uuid
from strikevote.belenios.trustees import (
    combined_public_key,
    parse_public_key,
    trustees_json,
)
from strikevote.crypto.errors import CryptoError
from strikevote.crypto.groups import group_by_name
from strikevote.crypto.randomness import Randomness
from strikevote.db import models
from strikevote.records.commitment import election_description, vote_commitment
from strikevote.services.board import export_archive
from strikevote.services.errors import StateError, TrusteeError
from strikevote.services.results import vote_header
from strikevote.services.trustee_import import (
    certificates,
    import_certificate,
    import_decryption,
    import_polynomial,
    import_verification_key,
    polynomials,
    trustee_rows,
)
from strikevote.services.votes import elections, load_vote, require_state
from strikevote.trustee import keyfile, steps
from strikevote.trustee.errors import TrusteeFileError, TrusteeRefusal
from strikevote.trustee.messages import (
    Export,
    TrusteeSeat,
    export_json,
    message_json,
    parse_export,
    parse_message,
)

CLOSED_STATES = ("closed", "tallied", "published")


# --- the committee's export -----------------------------------------------------------------------------------


def _json_or_none(text: str | None) -> dict[str, Any] | None:
    return json.loads(text) if text is not None else None


def export_for_trustee(db: sessionmaker[Session], vote_id: str) -> bytes:
    """Everything public a trustee's next step needs (see :mod:`strikevote.trustee.messages`)."""
    with db() as s:
        vote, defn = load_vote(s, vote_id)
        seats = tuple(
            TrusteeSeat(
                t.index,
                t.name,
                _json_or_none(t.certificate),
                _json_or_none(t.polynomial),
                _json_or_none(t.verification_key),
            )
            for t in trustee_rows(s, vote_id)
        )
        els = elections(s, vote_id)
        vote_json = vote_header(vote, defn) if els else None
        archives: dict[str, bytes] = {}
        if vote.state in CLOSED_STATES:
            with tempfile.TemporaryDirectory(prefix="strikevote-export-") as tmp:
                for el in els:
                    path = Path(tmp) / f"{el.id}.bel"
                    export_archive(s, el.id, path, int(vote.created_at.timestamp()))
                    archives[el.local_id] = path.read_bytes()
        export = Export(vote_id, defn.group, defn.trustees_k, defn.trustees_n, seats, vote_json, archives)
    return export_json(export)


# --- importing a trustee's message ------------------------------------------------------------------------------


def import_message(db: sessionmaker[Session], vote_id: str, raw: bytes, where: str = "message") -> str:
    """Check a trustee's message and store it, all or nothing; returns what was stored, for people.

    Refused with one line naming ``where``: a message of another vote, from a seat that does not exist, for a
    step the vote is not at (or already done), or whose signatures or proofs do not verify."""
    try:
        msg = parse_message(raw, where)
    except TrusteeFileError as exc:
        raise TrusteeError(str(exc)) from None
    if msg.vote != vote_id:
        raise TrusteeError(f"{where}: a message for vote {msg.vote!r}, not {vote_id!r}")
    with db.begin() as s:
        vote, defn = load_vote(s, vote_id)
        t = s.get(models.Trustee, (vote_id, msg.trustee))
        if t is None:
            raise TrusteeError(f"{where}: vote {vote_id!r} has no trustee {msg.trustee}")
        try:
            if msg.step == "certificate":
                return import_certificate(s, vote, defn, t, msg.body, where)
            if msg.step == "polynomial":
                return import_polynomial(s, vote, defn, t, msg.body, where)
            if msg.step == "verification-key":
                return import_verification_key(s, vote, defn, t, msg.body, where)
            return import_decryption(s, vote, t, msg.body, where)
        except (FormatError, CryptoError) as exc:
            raise TrusteeError(f"{where}: {exc}") from None


def setup_elections(db: sessionmaker[Session], vote_id: str, rng: Randomness) -> str:
    """Assemble the threshold key and create one Belenios election per local.  Returns the trustees' fingerprint."""
    from strikevote.crypto.hashing import sha256_b64

    with db.begin() as s:
        vote, defn = load_vote(s, vote_id)
        require_state(vote, "keys")
        g = group_by_name(defn.group)
        rows = list(
            s.scalars(
                select(models.Trustee).where(models.Trustee.vote_id == vote_id).order_by(models.Trustee.index)
            )
        )
        if any(t.verification_key is None for t in rows):
            raise StateError(
                f"waiting for the verification keys of trustees {[t.index for t in rows if not t.verification_key]}"
            )
        vks = [
            parse_public_key(g, loads(t.verification_key or "", "vk"), f"verification key {t.index}")
            for t in rows
        ]
        try:
            pedersen = assemble_pedersen(
                g,
                defn.trustees_k,
                certificates(s, vote_id, g),
                polynomials(s, vote_id, g, defn.trustees_n),
                vks,
            )
        except CryptoError as exc:
            raise TrusteeError(str(exc)) from None
        vote.trustees_json = trustees_json(g, [pedersen])
        pk = combined_public_key(g, [pedersen])
        commitment = vote_commitment(vote_header(vote, defn))
        for loc in defn.locals:
            e = ElectionParams.make(
                group=g,
                public_key=pk,
                uuid=new_uuid(rng),
                name=f"{defn.title} — {loc.name}",
                description=election_description(defn.union, defn.title, loc.id, commitment),
                questions=(Question(("Yes", "No"), 1, 1, loc.question),),
            )
            eligible = (
                s.query(models.Member).filter_by(vote_id=vote_id, local_id=loc.id, eligible=True).count()
            )
            s.add(
                models.Election(
                    vote_id=vote_id,
                    local_id=loc.id,
                    uuid=e.uuid,
                    election_json=e.raw,
                    fingerprint=e.fingerprint,
                    eligible=eligible,
                )
            )
        vote.state = "credentials"
        return sha256_b64(vote.trustees_json)


# --- one trustee's step in-process (the demo, the tests): export → the trustee's step → import ----------------


def _where(key_file: Path) -> str:
    return f"export for {key_file.name}"


def _run(fn: Any) -> Any:
    try:
        return fn()
    except (TrusteeFileError, TrusteeRefusal) as exc:
        raise TrusteeError(str(exc)) from None


def init_trustee(
    db: sessionmaker[Session], vote_id: str, index: int, key_file: Path, rng: Randomness, *, passphrase: bytes
) -> None:
    """Step 1: the trustee's secret seed goes to ``key_file`` (encrypted); its certificate to the server."""
    if key_file.exists() or key_file.is_symlink():
        raise TrusteeError(f"{key_file} already exists; refusing to overwrite a trustee key")
    export = parse_export(export_for_trustee(db, vote_id), _where(key_file))
    key, msg = _run(lambda: steps.init(export, index, rng, _where(key_file)))
    import_message(db, vote_id, message_json(msg), f"certificate of trustee {index}")
    _run(lambda: keyfile.create(key_file, key, passphrase))


def _key(key_file: Path, passphrase: bytes, vote_id: str) -> keyfile.TrusteeKey:
    return _run(lambda: keyfile.open_key(key_file, passphrase, vote_id))  # type: ignore[no-any-return]


def publish_polynomial(
    db: sessionmaker[Session], vote_id: str, key_file: Path, rng: Randomness, *, passphrase: bytes
) -> None:
    """Step 2: the trustee's polynomial commitments and one sealed share per trustee."""
    key = _key(key_file, passphrase, vote_id)
    export = parse_export(export_for_trustee(db, vote_id), _where(key_file))
    msg = _run(lambda: steps.polynomial(export, key, rng, _where(key_file)))
    import_message(db, vote_id, message_json(msg), f"polynomial of trustee {key.index}")


def finish_trustee(
    db: sessionmaker[Session], vote_id: str, key_file: Path, rng: Randomness, *, passphrase: bytes
) -> None:
    """Step 3: check every share received, keep the sum in the key file, publish the verification key."""
    key = _key(key_file, passphrase, vote_id)
    export = parse_export(export_for_trustee(db, vote_id), _where(key_file))
    done, msg = _run(lambda: steps.finish(export, key, rng, _where(key_file)))
    import_message(db, vote_id, message_json(msg), f"verification key of trustee {key.index}")
    _run(lambda: keyfile.update(key_file, done, passphrase))


def partial_decrypt(
    db: sessionmaker[Session],
    vote_id: str,
    key_file: Path,
    rng: Randomness,
    *,
    passphrase: bytes,
    jobs: int | None = 1,
) -> int:
    """A trustee's decryption of every local's tally, after verifying the archives; returns the locals done."""
    key = _key(key_file, passphrase, vote_id)
    with db() as s:
        vote, _defn = load_vote(s, vote_id)
        require_state(vote, "closed")
    export = parse_export(export_for_trustee(db, vote_id), _where(key_file))
    msg = _run(lambda: steps.decrypt(export, key, rng, _where(key_file), jobs=jobs))
    import_message(db, vote_id, message_json(msg), f"decryption of trustee {key.index}")
    return len(msg.body)
