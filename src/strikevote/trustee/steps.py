"""The trustee's four steps, each from the committee's export to one public message (no database, no network).

1. :func:`init` — a fresh secret seed (kept in the key file) and the signed certificate;
2. :func:`polynomial` — once every certificate is in: the polynomial's signed coefficient exponentials and one
   share sealed to each trustee (Belenios ``MakePedersen`` step 2);
3. :func:`finish` — once every polynomial is in: every share received is checked against its sender's signed
   coefficients, their sum is kept in the key file, the verification key is published (step 3);
4. :func:`decrypt` — after the close: each local's archive is first verified with the independent verifier
   (:func:`strikevote.verify.archive.verify_archive`: the chain, every ballot, the revote rule, the tally as the
   product of the counted ballots) and checked against vote.json and this trustee's key; on any mismatch the
   trustee refuses.  Then the Belenios partial decryption and strikevote's strong proofs of the *verified*
   tally.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from strikevote.belenios.errors import ArchiveError, FormatError, UnreadableError
from strikevote.belenios.setup import (
    PolynomialMessage,
    check_certificates,
    step1_certificate,
    step2_polynomial,
    step3_verification_key,
)
from strikevote.belenios.strong_proofs import proofs_json, prove_partial
from strikevote.belenios.tally import compute_factor
from strikevote.belenios.trustees import (
    SignedMessage,
    certs_sig_message,
    decryption_keys,
    parse_coefexps,
    parse_signed,
)
from strikevote.crypto import proofs
from strikevote.crypto.errors import CryptoError
from strikevote.crypto.group import Group
from strikevote.crypto.groups import group_by_name
from strikevote.crypto.randomness import Randomness
from strikevote.crypto.statements import sigmsg_prefix
from strikevote.trustee.errors import TrusteeFileError, TrusteeRefusal
from strikevote.trustee.keyfile import TrusteeKey
from strikevote.trustee.messages import Export, Message, parse_polynomial, polynomial_json

__all__ = ["Export", "Message", "check_polynomial", "decrypt", "finish", "init", "polynomial"]


def _group(export: Export, where: str) -> Group[Any]:
    try:
        return group_by_name(export.group)
    except CryptoError:
        raise TrusteeFileError(f"{where}: unknown group {export.group!r}") from None


def _check_key(export: Export, key: TrusteeKey, where: str) -> None:
    if key.vote != export.vote:
        raise TrusteeFileError(f"{where}: an export of vote {export.vote!r}; the key is of vote {key.vote!r}")
    if key.group != export.group or not 1 <= key.index <= export.size:
        raise TrusteeFileError(f"{where}: this key (trustee {key.index}, {key.group}) is not a seat of it")


def _certificates(group: Group[Any], export: Export, where: str) -> list[SignedMessage]:
    missing = [t.index for t in export.trustees if t.certificate is None]
    if missing:
        raise TrusteeRefusal(f"{where}: waiting for the certificates of trustees {missing}")
    try:
        certs = [
            parse_signed(group, t.certificate, f"{where}: certificate {t.index}") for t in export.trustees
        ]
        check_certificates(group, certs)
    except (FormatError, CryptoError) as exc:
        raise TrusteeRefusal(f"{where}: {exc}") from None
    return certs


def _polynomials(
    group: Group[Any], export: Export, certs: list[SignedMessage], where: str
) -> list[PolynomialMessage]:
    missing = [t.index for t in export.trustees if t.polynomial is None]
    if missing:
        raise TrusteeRefusal(f"{where}: waiting for the polynomials of trustees {missing}")
    out = []
    for t in export.trustees:
        w = f"{where}: polynomial of trustee {t.index}"
        try:
            p = parse_polynomial(group, t.polynomial, export.size, w)
            if p.index != t.index:
                raise FormatError(w, f"says it is trustee {p.index}'s")
            check_polynomial(group, certs, p, export.threshold, w)
        except (FormatError, CryptoError) as exc:
            raise TrusteeRefusal(str(exc)) from None
        out.append(p)
    return out


def check_polynomial(
    group: Group[Any], certs: list[SignedMessage], p: PolynomialMessage, threshold: int, where: str
) -> None:
    """Both signatures of a polynomial message by its sender's certificate key (coefexps and ``certs_sig``)."""
    keys = check_certificates(group, certs)
    vk = keys[p.index - 1].verification
    if not proofs.verify_knowledge(group, vk, p.coefexps.signature, sigmsg_prefix(p.coefexps.message)):
        raise FormatError(where, "the coefficients are not signed by the sender's certificate")
    exps = parse_coefexps(group, p.coefexps.message, f"{where}.coefexps")
    if len(exps) != threshold:
        raise FormatError(where, f"{len(exps)} coefficients for a threshold of {threshold}")
    if not proofs.verify_knowledge(
        group, vk, p.signature, sigmsg_prefix(certs_sig_message(group, certs, exps))
    ):
        raise FormatError(where, "the signature binding it to every certificate does not verify")


def init(export: Export, index: int, rng: Randomness, where: str) -> tuple[TrusteeKey, Message]:
    g = _group(export, where)
    if not 1 <= index <= export.size:
        raise TrusteeFileError(
            f"{where}: vote {export.vote!r} has no trustee {index} (seats 1..{export.size})"
        )
    if export.trustees[index - 1].certificate is not None:
        raise TrusteeRefusal(f"{where}: trustee {index} already has a certificate")
    seed, cert = step1_certificate(g, index, export.threshold, export.size, rng)
    key = TrusteeKey(export.vote, index, g.name, seed)
    return key, Message(export.vote, index, "certificate", cert.to_json())


def polynomial(export: Export, key: TrusteeKey, rng: Randomness, where: str) -> Message:
    _check_key(export, key, where)
    g = _group(export, where)
    certs = _certificates(g, export, where)
    try:
        msg, _poly = step2_polynomial(g, certs, key.seed, rng)
    except CryptoError as exc:
        raise TrusteeRefusal(f"{where}: {exc}") from None
    if msg.index != key.index:
        raise TrusteeRefusal(f"{where}: certificate {key.index} is not this key's")
    return Message(export.vote, key.index, "polynomial", polynomial_json(g, msg))


def finish(export: Export, key: TrusteeKey, rng: Randomness, where: str) -> tuple[TrusteeKey, Message]:
    _check_key(export, key, where)
    g = _group(export, where)
    certs = _certificates(g, export, where)
    polys = _polynomials(g, export, certs, where)
    try:
        vk, share = step3_verification_key(g, certs, polys, key.seed, rng)
    except CryptoError as exc:
        raise TrusteeRefusal(f"{where}: {exc}") from None
    done = TrusteeKey(key.vote, key.index, key.group, key.seed, share)
    return done, Message(export.vote, key.index, "verification-key", vk.to_json(g))


def decrypt(export: Export, key: TrusteeKey, rng: Randomness, where: str, jobs: int | None = None) -> Message:
    """Verify every archive of the export, then decrypt each local's (verified) encrypted tally."""
    from strikevote.verify.archive import verify_archive
    from strikevote.verify.bundle import definition_matches, trustees_fingerprint

    _check_key(export, key, where)
    if key.share is None:
        raise TrusteeFileError(f"{where}: the key ceremony was not finished with this key file")
    vote = export.vote_json
    if vote is None or not export.archives:
        raise TrusteeRefusal(f"{where}: no archive to decrypt (is the ballot box closed?)")
    g = _group(export, where)
    mine = g.g_pow_secret(key.share)
    body: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="strikevote-trustee-") as tmp:
        for lid, raw in sorted(export.archives.items()):
            path = Path(tmp) / "archive.bel"
            path.write_bytes(raw)
            w = f"{where}: local {lid}"
            try:
                report, facts = verify_archive(path, jobs=jobs, revote_policy=vote.terms.revote)
                fingerprint = trustees_fingerprint(path)
            except (ArchiveError, UnreadableError, FormatError, CryptoError, ValueError) as exc:
                raise TrusteeRefusal(f"{w}: the archive cannot be read: {exc}") from None
            if not report.valid:
                failed = sorted({c.name for c in report.failures})
                raise TrusteeRefusal(f"{w}: the archive does not verify (failed {', '.join(failed)})")
            e, tally = facts.election, facts.tally
            if e is None or tally is None:
                raise TrusteeRefusal(f"{w}: the archive has no encrypted tally yet")
            if facts.result is not None:
                raise TrusteeRefusal(f"{w}: the archive already has a result")
            local = vote.terms.local(lid)
            if local is None or not definition_matches(vote, local, e):
                raise TrusteeRefusal(f"{w}: the archive's election is not the one vote.json defines")
            if fingerprint != vote.trustees_fingerprint:
                raise TrusteeRefusal(f"{w}: the archive's trustees are not those named in vote.json")
            keys = {tid: pk for tid, _t, _i, pk in decryption_keys(facts.trustees)}
            if key.index not in keys or not g.eq(keys[key.index], mine):
                raise TrusteeRefusal(f"{w}: this key is not trustee {key.index}'s key in the archive")
            pd = compute_factor(e, tally, key.share, rng)
            sp = prove_partial(e, tally, key.share, key.index, pd, rng)
            body[lid] = {
                "election": e.uuid,
                "partial_decryption": pd.to_json(g),
                "strong_proofs": proofs_json(sp),
            }
    return Message(export.vote, key.index, "decryption", body)
