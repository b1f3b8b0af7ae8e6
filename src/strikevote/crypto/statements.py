"""Every Fiat–Shamir statement strikevote hashes, each built by one function that the prover and the verifier
both call (a statement written twice is a proof that verifies in one place and not the other).

A Σ-proof's challenge is ``G.hash(prefix, commitments)`` (:mod:`strikevote.crypto.proofs`); the prefix is the
statement, written exactly as the Belenios specification (``glondu/belenios`` ``doc/specification.tex``, 3.0)
writes it, with the vertical bars and commas verbatim and group elements as in JSON (FORMATS.md §10 lists
them with examples checked against belenios-tool).  The section each one comes from is named on it.

Here, in :mod:`strikevote.crypto`, because two of them are built inside the proof primitives themselves (the
interval proofs' ``prove|S|α,β|`` and strikevote's strong decryption statement), and crypto imports nothing
above it.  Left out on purpose: the credential derivation's ``derive_credential|uuid`` input
(:mod:`strikevote.crypto.credentials`) is a key-derivation input, not a proof statement, and the trustee
seed's ``sk|``/``dk|`` purposes (:mod:`strikevote.belenios.setup`) likewise.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from strikevote.crypto.elgamal import Ciphertext
from strikevote.crypto.group import Group

# strikevote's own statement (no Belenios counterpart): versioned so a change of shape is a new domain.
STRONG_DECRYPT_DOMAIN = "strikevote-decrypt/1"


# --- trustees (specification §"Verification keys", §"Trustees", §"Messages", §"Threshold") ------------------------


def pok_prefix(group: Group[Any], public_key: Any) -> str:
    """A trustee key's proof of knowledge of its secret: ``pok|G|X|`` (§"Verification keys")."""
    return f"pok|{group.name}|{group.encode(public_key)}|"


def sigmsg_prefix(message: str) -> str:
    """A signed message of the threshold key ceremony: ``sigmsg|message|`` (§"Messages")."""
    return f"sigmsg|{message}|"


def certs_sig_message(certs: Sequence[Mapping[str, Any]], coefexps: Sequence[str]) -> str:
    """The message a trustee signs (through :func:`sigmsg_prefix`) over every certificate and its own encoded
    coefficient exponents: ``certs_sig|`` and compact JSON ``{"certs":[…],"coefexps":[…]}`` (§"Threshold",
    Belenios 3.0's polynomial signature)."""
    body = {"certs": list(certs), "coefexps": list(coefexps)}
    return "certs_sig|" + json.dumps(body, separators=(",", ":"), ensure_ascii=False)


# --- ballots (specification §"Encrypted answers", §"Proofs of interval membership", §"Signatures") ---------------


def ballot_statement(group: Group[Any], fingerprint: str, credential: Any) -> str:
    """S0 = ``φ|credential``: what every proof of a ballot's answers is bound to, so that a proof cannot be
    moved to another election (φ, its fingerprint) or another voter (§"Encrypted answers")."""
    return f"{fingerprint}|{group.encode(credential)}"


def overall_statement(group: Group[Any], statement: str, choices: Sequence[Ciphertext[Any]]) -> str:
    """An answer's overall proof statement: S0 followed by every choice's ciphertext,
    ``S0|α1,β1,α2,β2,…`` (§"Encrypted answers")."""
    return statement + "|" + ",".join(f"{group.encode(c.alpha)},{group.encode(c.beta)}" for c in choices)


def interval_prefix(group: Group[Any], statement: str, ct: Ciphertext[Any]) -> str:
    """A disjunctive (CDS) proof that ``ct`` encrypts a value in a range: ``prove|S|α,β|``
    (§"Proofs of interval membership"; Belenios ``eg_disj_prove``/``eg_disj_verify``)."""
    return f"prove|{statement}|{group.encode(ct.alpha)},{group.encode(ct.beta)}|"


def signature_prefix(signature_hash: str) -> str:
    """A ballot's signature by its credential: ``sig|H|``, H the Base64Compact SHA-256 of the ballot without
    its signature (§"Signatures", 3.0)."""
    return f"sig|{signature_hash}|"


# --- decryption (specification §"Partial decryptions"; strikevote's strong decryption proof) --------------------


def decrypt_prefix(group: Group[Any], fingerprint: str, public: Any) -> str:
    """A trustee's Chaum–Pedersen proof of its decryption factors: ``decrypt|φ|X|`` (§"Partial decryptions").
    It binds neither α nor the factor (DESIGN.md §12), hence :func:`strong_decrypt_prefix`."""
    return f"decrypt|{fingerprint}|{group.encode(public)}|"


def strong_decrypt_prefix(
    group: Group[Any], public: Any, alpha: Any, factor: Any, fingerprint: str, trustee: int
) -> str:
    """strikevote's strong decryption statement, binding everything the proof speaks of:
    ``strikevote-decrypt/1|G|g|X|α|F|φ|trustee|`` (extends §"Partial decryptions";
    :mod:`strikevote.crypto.strong_decryption`)."""
    g = group
    return (
        f"{STRONG_DECRYPT_DOMAIN}|{g.name}|{g.encode(g.g)}|{g.encode(public)}|{g.encode(alpha)}|"
        f"{g.encode(factor)}|{fingerprint}|{trustee}|"
    )
