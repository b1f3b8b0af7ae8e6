"""The trustees' key ceremony (Pedersen k-of-n) and their partial decryptions: the committee's side.

Trustees work on their own machines (DESIGN.md §12, :mod:`strikevote.trustee`): the committee hands each one
the public export of the vote (:func:`export_for_trustee`: certificates, polynomials, verification keys, and
after the close each local's archive) and imports the public message the trustee's command wrote
(:func:`import_message`), which is checked before anything is stored: the right vote, a real seat, the right
step, valid signatures and proofs.  Both take and return bytes, so the server's API can call them as they are.

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

from strikevote.belenios.codec import dumps, loads
from strikevote.belenios.election import ElectionParams, Question
from strikevote.belenios.errors import FormatError
from strikevote.belenios.setup import PolynomialMessage, assemble_pedersen, new_uuid
from strikevote.belenios.strong_proofs import failed_entries, parse_proofs, proofs_json
from strikevote.belenios.tally import check_factor, parse_partial_decryption
from strikevote.belenios.trustees import (
    check_single,
    combined_public_key,
    parse_public_key,
    parse_signed,
    trustees_json,
)
from strikevote.crypto import proofs, threshold
from strikevote.crypto.errors import CryptoError
from strikevote.crypto.groups import group_by_name
from strikevote.crypto.randomness import Randomness
from strikevote.crypto.statements import sigmsg_prefix
from strikevote.db import models
from strikevote.records.commitment import election_description, vote_commitment
from strikevote.services.board import Board, export_archive, last_event_type, payloads
from strikevote.services.errors import StateError, TrusteeError
from strikevote.services.results import vote_header
from strikevote.services.tally import encrypted_tally_of
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
    parse_polynomial,
)

CLOSED_STATES = ("closed", "tallied", "published")


def _rows(s: Session, vote_id: str) -> list[models.Trustee]:
    return list(
        s.scalars(
            select(models.Trustee).where(models.Trustee.vote_id == vote_id).order_by(models.Trustee.index)
        )
    )


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
            for t in _rows(s, vote_id)
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
                return _import_certificate(s, vote, defn, t, msg.body, where)
            if msg.step == "polynomial":
                return _import_polynomial(s, vote, defn, t, msg.body, where)
            if msg.step == "verification-key":
                return _import_verification_key(s, vote, defn, t, msg.body, where)
            return _import_decryption(s, vote, t, msg.body, where)
        except (FormatError, CryptoError) as exc:
            raise TrusteeError(f"{where}: {exc}") from None


def _import_certificate(
    s: Session, vote: models.Vote, defn: Any, t: models.Trustee, body: Any, where: str
) -> str:
    require_state(vote, "keys")
    if t.certificate is not None:
        raise TrusteeError(f"{where}: trustee {t.index} already has a certificate")
    g = group_by_name(defn.group)
    cert = parse_signed(g, body, f"{where}: certificate")
    from strikevote.belenios.trustees import parse_cert_keys

    ck = parse_cert_keys(g, cert.message, f"{where}: certificate")
    expected = {"group": g.name, "size": defn.trustees_n, "threshold": defn.trustees_k, "index": t.index}
    if ck.context != expected:
        raise TrusteeError(f"{where}: the certificate is not for seat {t.index} of this {defn.trustees_k}-of-"
                           f"{defn.trustees_n} ceremony in {g.name}")  # fmt: skip
    if not proofs.verify_knowledge(g, ck.verification, cert.signature, sigmsg_prefix(cert.message)):
        raise TrusteeError(f"{where}: the certificate's signature does not verify")
    t.certificate = dumps(cert.to_json())
    return f"certificate of trustee {t.index}"


def _certs(s: Session, vote_id: str, group: Any) -> list[Any]:
    rows = _rows(s, vote_id)
    missing = [t.index for t in rows if t.certificate is None]
    if missing:
        raise StateError(f"waiting for the certificates of trustees {missing}")
    return [
        parse_signed(group, loads(t.certificate or "", "certificate"), f"certificate {t.index}") for t in rows
    ]


def _polynomials(s: Session, vote_id: str, group: Any, size: int) -> list[PolynomialMessage]:
    rows = _rows(s, vote_id)
    missing = [t.index for t in rows if t.polynomial is None]
    if missing:
        raise StateError(f"waiting for the polynomials of trustees {missing}")
    return [
        parse_polynomial(group, json.loads(t.polynomial or "{}"), size, f"polynomial {t.index}") for t in rows
    ]


def _import_polynomial(
    s: Session, vote: models.Vote, defn: Any, t: models.Trustee, body: Any, where: str
) -> str:
    require_state(vote, "keys")
    if t.polynomial is not None:
        raise TrusteeError(f"{where}: trustee {t.index} already published its polynomial")
    g = group_by_name(defn.group)
    certs = _certs(s, vote.id, g)
    p = parse_polynomial(g, body, defn.trustees_n, f"{where}: polynomial")
    if p.index != t.index:
        raise TrusteeError(f"{where}: the polynomial says it is trustee {p.index}'s, not {t.index}'s")
    steps.check_polynomial(g, certs, p, defn.trustees_k, f"{where}: polynomial")
    t.polynomial = json.dumps(body)
    return f"polynomial of trustee {t.index}"


def _import_verification_key(
    s: Session, vote: models.Vote, defn: Any, t: models.Trustee, body: Any, where: str
) -> str:
    require_state(vote, "keys")
    if t.verification_key is not None:
        raise TrusteeError(f"{where}: trustee {t.index} already published its verification key")
    g = group_by_name(defn.group)
    certs = _certs(s, vote.id, g)
    polys = sorted(_polynomials(s, vote.id, g, defn.trustees_n), key=lambda p: p.index)
    from strikevote.belenios.trustees import parse_cert_keys, parse_coefexps

    vk = parse_public_key(g, body, f"{where}: verification key")
    exps = [parse_coefexps(g, p.coefexps.message, "coefexps") for p in polys]
    expected = threshold.verification_keys(g, exps)[t.index - 1]
    ck = parse_cert_keys(g, certs[t.index - 1].message, "certificate")
    if not (
        g.eq(vk.public_key, expected)
        and check_single(g, vk) is None
        and vk.signature is not None
        and proofs.verify_knowledge(g, ck.verification, vk.signature, sigmsg_prefix(g.encode(expected)))
    ):
        raise TrusteeError(
            f"{where}: trustee {t.index}'s verification key does not match the polynomials or is not signed"
        )
    t.verification_key = dumps(vk.to_json(g))
    return f"verification key of trustee {t.index}"


def _import_decryption(s: Session, vote: models.Vote, t: models.Trustee, body: Any, where: str) -> str:
    require_state(vote, "closed")
    if t.verification_key is None:
        raise TrusteeError(f"{where}: trustee {t.index} has no verification key")
    els = {el.local_id: el for el in elections(s, vote.id)}
    if not isinstance(body, dict) or set(body) != set(els):
        raise TrusteeError(f"{where}: expected one decryption for each local {sorted(els)}")
    for lid, part in sorted(body.items()):
        el = els[lid]
        if (
            not isinstance(part, dict)
            or set(part) != {"election", "partial_decryption", "strong_proofs"}
            or not all(isinstance(v, str) for v in part.values())
        ):
            raise TrusteeError(f"{where}: local {lid}: expected election, partial_decryption, strong_proofs")
        if part["election"] != el.uuid:
            raise TrusteeError(f"{where}: local {lid}: a decryption for election {part['election']}")
        election = ElectionParams.parse(el.election_json)
        tally, _sized = encrypted_tally_of(s, el, election)
        store_partial_decryption(
            s, el, election, tally, t.index, part["partial_decryption"], part["strong_proofs"], where
        )
    return f"partial decryptions of trustee {t.index} for {len(body)} local(s)"


def store_partial_decryption(
    s: Session,
    el: models.Election,
    election: ElectionParams,
    tally: Any,
    owner: int,
    raw: str,
    strong_raw: str,
    where: str = "partial decryption",
) -> None:
    """Check a partial decryption and its strong proofs from outside and append them; refuses non-trustees and
    bad proofs (of either kind)."""
    from strikevote.belenios.tally import owned_json

    _vote, defn = load_vote(s, el.vote_id)
    if not 1 <= owner <= defn.trustees_n:
        raise TrusteeError(f"{where}: trustee {owner} is not a trustee of this vote")
    if last_event_type(s, el.id) not in ("EncryptedTally", "PartialDecryption"):
        raise StateError(f"local {el.local_id} is not waiting for partial decryptions")
    t = s.get(models.Trustee, (el.vote_id, owner))
    if t is None or t.verification_key is None:
        raise TrusteeError(f"{where}: trustee {owner} has no verification key")
    g = election.group
    try:
        pd = parse_partial_decryption(election, raw, f"{where}: partial_decryption")
        sp = parse_proofs(election, strong_raw, f"{where}: strong_proofs")
    except (FormatError, CryptoError) as exc:
        raise TrusteeError(str(exc)) from None
    vk = parse_public_key(g, loads(t.verification_key, "vk"), "vk").public_key
    if check_factor(election, tally, vk, pd) is not None:
        raise TrusteeError(f"{where}: trustee {owner}'s decryption proof for local {el.local_id} is invalid")
    if failed_entries(election, tally, vk, owner, pd, sp):
        raise TrusteeError(f"{where}: trustee {owner}'s strong proof for local {el.local_id} is invalid")
    for existing in payloads(s, el.id, "PartialDecryption"):
        if json.loads(existing)["owner"] == owner:
            raise TrusteeError(f"{where}: trustee {owner} already decrypted local {el.local_id}")
    board = Board(s, el.id)
    h = board.add_data(raw)
    board.add_event("PartialDecryption", board.add_data(owned_json(owner, h)))
    s.add(models.DecryptionProof(election_id=el.id, owner=owner, content=proofs_json(sp)))


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
                g, defn.trustees_k, _certs(s, vote_id, g), _polynomials(s, vote_id, g, defn.trustees_n), vks
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
