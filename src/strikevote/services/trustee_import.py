"""Checking each kind of trustee message before it is stored, all or nothing (the committee's side of
:func:`strikevote.services.trustees.import_message`): a certificate, a polynomial, a verification key, the
partial decryptions of every local.  Each is refused with one line naming where it came from.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from strikevote.belenios.codec import dumps, loads
from strikevote.belenios.election import ElectionParams
from strikevote.belenios.errors import FormatError
from strikevote.belenios.setup import PolynomialMessage
from strikevote.belenios.strong_proofs import failed_entries, parse_proofs, proofs_json
from strikevote.belenios.tally import check_factor, parse_partial_decryption
from strikevote.belenios.trustees import (
    check_single,
    parse_public_key,
    parse_signed,
)
from strikevote.crypto import proofs, threshold
from strikevote.crypto.errors import CryptoError
from strikevote.crypto.groups import group_by_name
from strikevote.crypto.statements import sigmsg_prefix
from strikevote.db import models
from strikevote.services.board import Board, last_event_type, payloads
from strikevote.services.errors import StateError, TrusteeError
from strikevote.services.tally import encrypted_tally_of
from strikevote.services.votes import elections, load_vote, require_state
from strikevote.trustee import steps
from strikevote.trustee.messages import (
    parse_polynomial,
)


def trustee_rows(s: Session, vote_id: str) -> list[models.Trustee]:
    return list(
        s.scalars(
            select(models.Trustee).where(models.Trustee.vote_id == vote_id).order_by(models.Trustee.index)
        )
    )


def import_certificate(
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


def certificates(s: Session, vote_id: str, group: Any) -> list[Any]:
    rows = trustee_rows(s, vote_id)
    missing = [t.index for t in rows if t.certificate is None]
    if missing:
        raise StateError(f"waiting for the certificates of trustees {missing}")
    return [
        parse_signed(group, loads(t.certificate or "", "certificate"), f"certificate {t.index}") for t in rows
    ]


def polynomials(s: Session, vote_id: str, group: Any, size: int) -> list[PolynomialMessage]:
    rows = trustee_rows(s, vote_id)
    missing = [t.index for t in rows if t.polynomial is None]
    if missing:
        raise StateError(f"waiting for the polynomials of trustees {missing}")
    return [
        parse_polynomial(group, json.loads(t.polynomial or "{}"), size, f"polynomial {t.index}") for t in rows
    ]


def import_polynomial(
    s: Session, vote: models.Vote, defn: Any, t: models.Trustee, body: Any, where: str
) -> str:
    require_state(vote, "keys")
    if t.polynomial is not None:
        raise TrusteeError(f"{where}: trustee {t.index} already published its polynomial")
    g = group_by_name(defn.group)
    certs = certificates(s, vote.id, g)
    p = parse_polynomial(g, body, defn.trustees_n, f"{where}: polynomial")
    if p.index != t.index:
        raise TrusteeError(f"{where}: the polynomial says it is trustee {p.index}'s, not {t.index}'s")
    steps.check_polynomial(g, certs, p, defn.trustees_k, f"{where}: polynomial")
    t.polynomial = json.dumps(body)
    return f"polynomial of trustee {t.index}"


def import_verification_key(
    s: Session, vote: models.Vote, defn: Any, t: models.Trustee, body: Any, where: str
) -> str:
    require_state(vote, "keys")
    if t.verification_key is not None:
        raise TrusteeError(f"{where}: trustee {t.index} already published its verification key")
    g = group_by_name(defn.group)
    certs = certificates(s, vote.id, g)
    polys = sorted(polynomials(s, vote.id, g, defn.trustees_n), key=lambda p: p.index)
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


def import_decryption(s: Session, vote: models.Vote, t: models.Trustee, body: Any, where: str) -> str:
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
