"""The trustees' key ceremony (Pedersen k-of-n) and their partial decryptions.

Each trustee runs their own commands with their own key file; the server stores only public messages:
certificates, polynomial messages (shares sealed to each recipient), verification keys and decryption factors.
The key file (JSON, mode 0600) holds the trustee's seed and, after the ceremony, its decryption share.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from strikevote.belenios.ballot import parse_proof, proof_json
from strikevote.belenios.codec import dumps, loads
from strikevote.belenios.election import Election as BelElection
from strikevote.belenios.election import Question
from strikevote.belenios.errors import FormatError
from strikevote.belenios.setup import (
    PolynomialMessage,
    assemble_pedersen,
    new_uuid,
    step1_certificate,
    step2_polynomial,
    step3_verification_key,
)
from strikevote.belenios.tally import check_factor, compute_factor, parse_partial_decryption
from strikevote.belenios.trustees import combined_public_key, parse_public_key, parse_signed, trustees_json
from strikevote.crypto.errors import CryptoError
from strikevote.crypto.groups import group_by_name
from strikevote.crypto.randomness import Randomness
from strikevote.db import models
from strikevote.rules.result_doc import election_description, vote_commitment
from strikevote.services.board import Board, last_event_type
from strikevote.services.errors import KeyFileError, StateError, TrusteeError
from strikevote.services.results import vote_header
from strikevote.services.tally import encrypted_tally_of
from strikevote.services.votes import elections, load_vote, require_state


def _trustee(s: Session, vote_id: str, index: int) -> models.Trustee:
    t = s.get(models.Trustee, (vote_id, index))
    if t is None:
        raise TrusteeError(f"vote '{vote_id}' has no trustee {index}")
    return t


def _read_key(path: Path, vote_id: str) -> dict[str, Any]:
    try:
        key = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise KeyFileError(f"{path}: cannot read the trustee key file ({exc})") from None
    if not isinstance(key, dict) or key.get("vote") != vote_id or not isinstance(key.get("index"), int):
        raise KeyFileError(f"{path}: not a trustee key file of vote '{vote_id}'")
    share = key.get("share")
    if not isinstance(key.get("seed"), str) or (
        share is not None and not (isinstance(share, str) and share.isascii() and share.isdigit())
    ):
        raise KeyFileError(f"{path}: damaged trustee key file (seed or share malformed)")
    return key


def _write_key(path: Path, key: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(key, f)
    tmp.replace(path)


def init_trustee(
    db: sessionmaker[Session], vote_id: str, index: int, key_file: Path, rng: Randomness
) -> None:
    """Step 1: the trustee's secret seed goes to ``key_file``; its certificate to the server."""
    if key_file.exists():
        raise TrusteeError(f"{key_file} already exists; refusing to overwrite a trustee key")
    with db.begin() as s:
        vote, defn = load_vote(s, vote_id)
        require_state(vote, "keys")
        t = _trustee(s, vote_id, index)
        if t.certificate is not None:
            raise TrusteeError(f"trustee {index} already has a certificate")
        seed, cert = step1_certificate(
            group_by_name(defn.group), index, defn.trustees_k, defn.trustees_n, rng
        )
        _write_key(key_file, {"vote": vote_id, "index": index, "seed": seed})
        t.certificate = dumps(cert.to_json())


def _certs(s: Session, vote_id: str, group: Any) -> list[Any]:
    rows = list(
        s.scalars(
            select(models.Trustee).where(models.Trustee.vote_id == vote_id).order_by(models.Trustee.index)
        )
    )
    if any(t.certificate is None for t in rows):
        missing = [t.index for t in rows if t.certificate is None]
        raise StateError(f"waiting for the certificates of trustees {missing}")
    return [
        parse_signed(group, loads(t.certificate or "", "certificate"), f"certificate {t.index}") for t in rows
    ]


def publish_polynomial(db: sessionmaker[Session], vote_id: str, key_file: Path, rng: Randomness) -> None:
    """Step 2: the trustee's polynomial commitments and one sealed share per trustee."""
    with db.begin() as s:
        vote, defn = load_vote(s, vote_id)
        require_state(vote, "keys")
        key = _read_key(key_file, vote_id)
        g = group_by_name(defn.group)
        t = _trustee(s, vote_id, key["index"])
        if t.polynomial is not None:
            raise TrusteeError(f"trustee {t.index} already published its polynomial")
        msg, _poly = step2_polynomial(g, _certs(s, vote_id, g), key["seed"], rng)
        if msg.index != t.index:
            raise TrusteeError(f"{key_file} belongs to trustee {msg.index}, not {t.index}")
        t.polynomial = json.dumps(
            {
                "index": msg.index,
                "coefexps": msg.coefexps.to_json(),
                "signature": proof_json(msg.signature),
                "shares": {str(j): [e, base64.b64encode(c).decode()] for j, (e, c) in msg.shares.items()},
            }
        )


def _polynomials(s: Session, vote_id: str, group: Any) -> list[PolynomialMessage]:
    rows = list(s.scalars(select(models.Trustee).where(models.Trustee.vote_id == vote_id)))
    if any(t.polynomial is None for t in rows):
        raise StateError(
            f"waiting for the polynomials of trustees {[t.index for t in rows if t.polynomial is None]}"
        )
    out = []
    for t in rows:
        obj = json.loads(t.polynomial or "{}")
        out.append(
            PolynomialMessage(
                obj["index"],
                parse_signed(group, obj["coefexps"], "coefexps"),
                parse_proof(group, obj["signature"], "sig"),
                {int(j): (e, base64.b64decode(c)) for j, (e, c) in obj["shares"].items()},
            )
        )
    return out


def finish_trustee(db: sessionmaker[Session], vote_id: str, key_file: Path, rng: Randomness) -> None:
    """Step 3: check every share received, keep the sum in the key file, publish the verification key."""
    with db.begin() as s:
        vote, defn = load_vote(s, vote_id)
        require_state(vote, "keys")
        key = _read_key(key_file, vote_id)
        g = group_by_name(defn.group)
        t = _trustee(s, vote_id, key["index"])
        try:
            vk, share = step3_verification_key(
                g, _certs(s, vote_id, g), _polynomials(s, vote_id, g), key["seed"], rng
            )
        except CryptoError as exc:
            raise TrusteeError(str(exc)) from None
        key["share"] = str(share)
        _write_key(key_file, key)
        t.verification_key = dumps(vk.to_json(g))


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
                g, defn.trustees_k, _certs(s, vote_id, g), _polynomials(s, vote_id, g), vks
            )
        except CryptoError as exc:
            raise TrusteeError(str(exc)) from None
        vote.trustees_json = trustees_json(g, [pedersen])
        pk = combined_public_key(g, [pedersen])
        commitment = vote_commitment(vote_header(vote, defn.to_json()))
        for loc in defn.locals:
            e = BelElection.make(
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


def partial_decrypt(db: sessionmaker[Session], vote_id: str, key_file: Path, rng: Randomness) -> int:
    """A trustee's decryption factors for every local's encrypted tally, verified before they are stored."""
    key = _read_key(key_file, vote_id)
    if "share" not in key:
        raise TrusteeError(f"{key_file}: the key ceremony was not finished with this key")
    done = 0
    with db.begin() as s:
        vote, defn = load_vote(s, vote_id)
        require_state(vote, "closed")
        g = group_by_name(defn.group)
        t = s.get(models.Trustee, (vote_id, key["index"]))
        if t is None or t.verification_key is None:
            raise TrusteeError(f"{key_file}: not a trustee of vote '{vote_id}'")
        vk = parse_public_key(g, loads(t.verification_key, "vk"), "vk").public_key
        share = int(key["share"])
        if not g.eq(g.g_pow(share), vk):
            raise TrusteeError(f"{key_file}: this key does not match trustee {t.index}'s verification key")
        for el in elections(s, vote_id):
            election = BelElection.parse(el.election_json)
            tally, _sized = encrypted_tally_of(s, el, election)
            pd = compute_factor(election, tally, share, rng)
            store_partial_decryption(s, el, election, tally, t.index, pd.to_json(g))
            done += 1
    return done


def store_partial_decryption(
    s: Session, el: models.Election, election: BelElection, tally: Any, owner: int, raw: str
) -> None:
    """Check a partial decryption from outside and append it; refuses non-trustees and bad proofs."""
    from strikevote.belenios.tally import owned_json

    _vote, defn = load_vote(s, el.vote_id)
    if not 1 <= owner <= defn.trustees_n:
        raise TrusteeError(f"trustee {owner} is not a trustee of this vote")
    if last_event_type(s, el.id) not in ("EncryptedTally", "PartialDecryption"):
        raise StateError(f"local {el.local_id} is not waiting for partial decryptions")
    t = s.get(models.Trustee, (el.vote_id, owner))
    if t is None or t.verification_key is None:
        raise TrusteeError(f"trustee {owner} has no verification key")
    g = election.group
    try:
        pd = parse_partial_decryption(election, raw)
    except FormatError as exc:
        raise TrusteeError(str(exc)) from None
    vk = parse_public_key(g, loads(t.verification_key, "vk"), "vk").public_key
    if not check_factor(election, tally, vk, pd):
        raise TrusteeError(f"trustee {owner}'s decryption proof for local {el.local_id} is invalid")
    from strikevote.services.board import payloads

    for existing in payloads(s, el.id, "PartialDecryption"):
        if json.loads(existing)["owner"] == owner:
            raise TrusteeError(f"trustee {owner} already decrypted local {el.local_id}")
    board = Board(s, el.id)
    h = board.add_data(raw)
    board.add_event("PartialDecryption", board.add_data(owned_json(owner, h)))
