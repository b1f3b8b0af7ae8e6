"""strikevote's strong decryption proof: a Chaum–Pedersen proof whose challenge hashes the whole statement.

It extends the Belenios specification §"Partial decryptions" (FORMATS.md §10), whose proof that
``log_g X = log_α F`` takes its challenge from ``G.hash("decrypt|φ|X|", [A, B])``: neither the ciphertext's α
nor the factor F is hashed, so a trustee who chooses the commitments first can solve for the α of the last
ballot counted (a voter it colludes with) and publish a false factor that verifies (the "weak Fiat–Shamir"
attack of Bernhard, Pereira and Warinschi, 2012).  Here the challenge hashes

    ``strikevote-decrypt/1|group|g|X|α|F|φ|trustee|`` followed by the commitments ``A = g^w, B = α^w``,

so the proof is bound to the one ciphertext and factor it speaks of, in one election (fingerprint φ), for one
trustee.  :func:`strikevote.crypto.statements.strong_decrypt_prefix` is the single place the statement is
built: the prover and the verifier both call it.  The Belenios proof is still produced alongside (belenios-tool reads only that one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from strikevote.crypto.group import Group
from strikevote.crypto.proofs import Proof
from strikevote.crypto.randomness import Randomness
from strikevote.crypto.statements import strong_decrypt_prefix


@dataclass(frozen=True)
class Statement:
    """``F = α^x`` where ``X = g^x`` is trustee ``trustee``'s verification key in election ``fingerprint``."""

    group: Group[Any]
    public: Any  # X
    alpha: Any  # α of the tally's ciphertext
    factor: Any  # F
    fingerprint: str  # the election's φ
    trustee: int  # the trustee id (position in the flattened trustees.json, from 1)


def statement_prefix(st: Statement) -> str:
    return strong_decrypt_prefix(st.group, st.public, st.alpha, st.factor, st.fingerprint, st.trustee)


def prove(st: Statement, x: int, rng: Randomness) -> Proof:
    """The trustee's proof; ``x`` is its secret decryption key (``X = g^x``, ``F = α^x``)."""
    g = st.group
    w = g.random_scalar(rng)
    challenge = g.hash(statement_prefix(st), [g.g_pow_secret(w), g.pow_secret(st.alpha, w)])
    return Proof(challenge, (w - x * challenge) % g.q)


def verify(st: Statement, proof: Proof) -> bool:
    """The caller has validated X, α and F as group elements (``Group.decode``) and the proof's scalars."""
    g = st.group
    c, r = proof.challenge, proof.response
    commitments = [g.g_pow2(r, st.public, c), g.pow2(st.alpha, r, st.factor, c)]
    return g.hash(statement_prefix(st), commitments) == c
