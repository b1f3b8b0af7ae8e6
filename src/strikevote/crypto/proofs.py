"""Fiat–Shamir Σ-protocol proofs of Belenios (specification §"Zero-knowledge proofs").

Every proof is ``{challenge c, response r}`` with ``r = w − x·c mod q``; a verifier recomputes the commitment
``A = g^r · X^c`` and compares ``c`` with the oracle ``G.hash(prefix, commitments)``.  The prefixes are built by
:mod:`strikevote.crypto.statements`, exactly as the specification writes them (FORMATS.md §10):

* :func:`prove_knowledge` / :func:`verify_knowledge` — Schnorr proof of knowledge of ``x = log_g X``:
  trustee ``pok|G|X|``, ballot signature ``sig|hash|``, PKI ``sigmsg|message|`` (§"Signatures", §"Trustees").
* :func:`prove_equal_logs` / :func:`verify_equal_logs` — Chaum–Pedersen proof that ``log_g X = log_α F``:
  decryption factors, prefix ``decrypt|φ|X|`` (§"Partial decryptions").
* :func:`prove_disjunction` / :func:`verify_disjunction` — the interval proofs ``prove|S|α,β|`` with
  ``d_i = g^{-M_i}`` (§"Proofs of interval membership"; Belenios ``eg_disj_prove``/``eg_disj_verify``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from strikevote.crypto.elgamal import Ciphertext
from strikevote.crypto.group import Group
from strikevote.crypto.randomness import Randomness
from strikevote.crypto.statements import interval_prefix


@dataclass(frozen=True, slots=True)
class Proof:
    challenge: int
    response: int


# --- Schnorr proof of knowledge ------------------------------------------------------------------------------


def prove_knowledge(group: Group[Any], x: int, prefix: str, rng: Randomness) -> Proof:
    w = group.random_scalar(rng)
    challenge = group.hash(prefix, [group.g_pow_secret(w)])
    return Proof(challenge, (w - x * challenge) % group.q)


def verify_knowledge(group: Group[Any], public: Any, proof: Proof, prefix: str) -> bool:
    commitment = group.g_pow2(proof.response, public, proof.challenge)
    return group.hash(prefix, [commitment]) == proof.challenge


# --- Chaum–Pedersen equality of discrete logs ----------------------------------------------------------------


def prove_equal_logs(group: Group[Any], x: int, base: Any, prefix: str, rng: Randomness) -> Proof:
    """Proof that log_g(g^x) = log_base(base^x)."""
    w = group.random_scalar(rng)
    challenge = group.hash(prefix, [group.g_pow_secret(w), group.pow_secret(base, w)])
    return Proof(challenge, (w - x * challenge) % group.q)


def verify_equal_logs(
    group: Group[Any], public: Any, base: Any, image: Any, proof: Proof, prefix: str
) -> bool:
    c, r = proof.challenge, proof.response
    commitments = [group.g_pow2(r, public, c), group.pow2(base, r, image, c)]
    return group.hash(prefix, commitments) == c


# --- Disjunctive (CDS) proofs of interval membership ---------------------------------------------------------


def interval_shifts(group: Group[Any], lo: int, hi: int) -> list[Any]:
    """d_i = g^{-(lo+i)} for i = 0..hi-lo (Belenios ``make_d``); [1, g^-1] is the 0/1 case."""
    return [group.g_pow(-(lo + i) % group.q) for i in range(hi - lo + 1)]


def prove_disjunction(
    group: Group[Any],
    y: Any,
    shifts: Sequence[Any],
    statement: str,
    true_index: int,
    r: int,
    ct: Ciphertext[Any],
    rng: Randomness,
) -> list[Proof]:
    """Prove that ct encrypts M_{true_index} under y with randomness r (Belenios ``eg_disj_prove``)."""
    n = len(shifts)
    if not 0 <= true_index < n:
        raise ValueError("true_index out of range")
    q = group.q
    proofs: list[Proof | None] = [None] * n
    commitments: list[Any] = [None] * (2 * n)
    total = 0
    for i in range(n):
        if i == true_index:
            continue
        c, s = group.random_scalar(rng), group.random_scalar(rng)
        proofs[i] = Proof(c, s)
        commitments[2 * i] = group.g_pow_secret((s + r * c) % q)  # r is the encryption secret
        commitments[2 * i + 1] = group.pow2(y, s, group.mul(ct.beta, shifts[i]), c)
        total += c
    w = group.random_scalar(rng)
    commitments[2 * true_index] = group.g_pow_secret(w)
    commitments[2 * true_index + 1] = group.pow_secret(y, w)
    c = (group.hash(interval_prefix(group, statement, ct), commitments) - total) % q
    proofs[true_index] = Proof(c, (w - r * c) % q)
    return [p for p in proofs if p is not None]


def verify_disjunction(
    group: Group[Any],
    y: Any,
    shifts: Sequence[Any],
    statement: str,
    proofs: Sequence[Proof],
    ct: Ciphertext[Any],
) -> bool:
    """Belenios ``eg_disj_verify``; the caller has validated alpha and beta with ``decode``/``check``."""
    if len(proofs) != len(shifts):
        return False
    commitments: list[Any] = []
    total = 0
    for proof, shift in zip(proofs, shifts, strict=True):
        c, r = proof.challenge, proof.response
        commitments.append(group.g_pow2(r, ct.alpha, c))
        commitments.append(group.pow2(y, r, group.mul(ct.beta, shift), c))
        total += c
    return group.hash(interval_prefix(group, statement, ct), commitments) == total % group.q
