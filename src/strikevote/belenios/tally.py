"""Encrypted tally, partial decryptions and result (specification §"Encrypted tally", §"Partial decryptions",
§"Election result"; Belenios ``election.ml`` ``compute_factor``/``check_factor``/``check_result``).

Shapes follow the election: one list per question, one entry per answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from strikevote.belenios.ballot import Answer, ciphertext_json, parse_ciphertext, parse_proof, proof_json
from strikevote.belenios.codec import (
    check_object,
    decimal,
    decode_element,
    dumps,
    get_int,
    get_list,
    get_str,
    loads,
)
from strikevote.belenios.election import ElectionParams
from strikevote.belenios.errors import CombinationError, FormatError
from strikevote.belenios.trustees import Pedersen, Single, TrusteeKind, decryption_keys
from strikevote.crypto import elgamal, proofs, statements, threshold
from strikevote.crypto.dlog import discrete_log
from strikevote.crypto.elgamal import Ciphertext
from strikevote.crypto.group import Group
from strikevote.crypto.proofs import Proof
from strikevote.crypto.randomness import Randomness
from strikevote.records.checks import Check, Failure

EncryptedTally = list[list[Ciphertext[Any]]]
# Belenios writes a weight above 2^30 - 1 as a JSON string (``json_of_weight`` in ``src/lib/core/common.ml``) and
# caps an election's total weight at 10^11 (``Weight.max_expanded_weight``); 30 digits is far above any total.
MAX_TOTAL_WEIGHT_DIGITS = 30


def _check_shape(election: ElectionParams, value: Any, where: str) -> list[list[Any]]:
    rows = get_list(value, None, where)
    if len(rows) != len(election.questions):
        raise FormatError(where, f"expected {len(election.questions)} question(s), got {len(rows)}")
    for i, (row, q) in enumerate(zip(rows, election.questions, strict=True)):
        if not isinstance(row, list) or len(row) != len(q.answers):
            raise FormatError(f"{where}[{i}]", f"expected {len(q.answers)} entries")
    return rows


# --- encrypted tally --------------------------------------------------------------------------------------------


def empty_tally(election: ElectionParams) -> EncryptedTally:
    g = election.group
    return [[elgamal.neutral(g) for _ in q.answers] for q in election.questions]


def add_to_tally(
    group: Group[Any], tally: EncryptedTally, answers: Sequence[Answer], weight: int = 1
) -> None:
    for row, answer in zip(tally, answers, strict=True):
        for j, ct in enumerate(answer.choices):
            row[j] = elgamal.add_ciphertexts(group, row[j], elgamal.scale(group, ct, weight))


def tally_json(group: Group[Any], tally: EncryptedTally) -> str:
    return dumps([[ciphertext_json(group, c) for c in row] for row in tally])


def parse_tally(election: ElectionParams, raw: str, where: str = "encrypted_tally") -> EncryptedTally:
    rows = _check_shape(election, loads(raw, where), where)
    return [
        # an answer nobody ticked (or a local where nobody voted) sums to the identity
        [
            parse_ciphertext(election.group, c, f"{where}[{i}][{j}]", identity_ok=True)
            for j, c in enumerate(row)
        ]
        for i, row in enumerate(rows)
    ]


@dataclass(frozen=True)
class SizedTally:
    num_tallied: int
    total_weight: int
    encrypted_tally: str  # hex hash of the encrypted_tally data object

    def to_json(self) -> str:
        return dumps(
            {
                "num_tallied": self.num_tallied,
                "total_weight": self.total_weight,
                "encrypted_tally": self.encrypted_tally,
            }
        )

    @staticmethod
    def parse(raw: str, where: str = "sized_encrypted_tally") -> SizedTally:
        obj = check_object(loads(raw, where), where, ("num_tallied", "total_weight", "encrypted_tally"))
        total = obj["total_weight"]
        if isinstance(total, str):
            total = decimal(total, f"{where}.total_weight", max_digits=MAX_TOTAL_WEIGHT_DIGITS)
        if not isinstance(total, int) or isinstance(total, bool) or total < 0:
            raise FormatError(f"{where}.total_weight", "expected a non-negative integer")
        return SizedTally(
            get_int(obj, "num_tallied", where, minimum=0), total, get_str(obj, "encrypted_tally", where)
        )


# --- partial decryptions ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartialDecryption:
    factors: list[list[Any]]
    proofs: list[list[Proof]]

    def to_json(self, group: Group[Any]) -> str:
        return dumps(
            {
                "decryption_factors": [[group.encode(f) for f in row] for row in self.factors],
                "decryption_proofs": [[proof_json(p) for p in row] for row in self.proofs],
            }
        )


def parse_partial_decryption(
    election: ElectionParams, raw: str, where: str = "partial_decryption"
) -> PartialDecryption:
    obj = check_object(loads(raw, where), where, ("decryption_factors", "decryption_proofs"))
    g = election.group
    fs = _check_shape(election, obj["decryption_factors"], f"{where}.decryption_factors")
    ps = _check_shape(election, obj["decryption_proofs"], f"{where}.decryption_proofs")
    return PartialDecryption(
        [
            [
                decode_element(g, f, f"{where}.decryption_factors[{i}][{j}]", identity_ok=True)
                for j, f in enumerate(row)
            ]
            for i, row in enumerate(fs)
        ],
        [
            [parse_proof(g, p, f"{where}.decryption_proofs[{i}][{j}]") for j, p in enumerate(row)]
            for i, row in enumerate(ps)
        ],
    )


def owned_json(owner: int, payload_hash: str) -> str:
    return dumps({"owner": owner, "payload": payload_hash})


def parse_owned(raw: str, where: str = "owned_partial_decryption") -> tuple[int, str]:
    obj = check_object(loads(raw, where), where, ("owner", "payload"))
    return get_int(obj, "owner", where, minimum=1), get_str(obj, "payload", where)


def decrypt_prefix(election: ElectionParams, public: Any) -> str:
    """:func:`strikevote.crypto.statements.decrypt_prefix` in ``election``."""
    return statements.decrypt_prefix(election.group, election.fingerprint, public)


def compute_factor(
    election: ElectionParams, tally: EncryptedTally, x: int, rng: Randomness
) -> PartialDecryption:
    """A trustee's share: α^x for every ciphertext, with a Chaum–Pedersen proof each."""
    g = election.group
    prefix = decrypt_prefix(election, g.g_pow_secret(x))
    factors = [[g.pow_secret(c.alpha, x) for c in row] for row in tally]
    prfs = [[proofs.prove_equal_logs(g, x, c.alpha, prefix, rng) for c in row] for row in tally]
    return PartialDecryption(factors, prfs)


def check_factor(
    election: ElectionParams, tally: EncryptedTally, public: Any, pd: PartialDecryption
) -> Failure | None:
    """Belenios ``check_factor``: every factor's Chaum–Pedersen proof (``decryption.partial``); None when all
    verify."""
    g = election.group
    prefix = decrypt_prefix(election, public)
    if all(
        proofs.verify_equal_logs(g, public, c.alpha, f, p, prefix)
        for row_c, row_f, row_p in zip(tally, pd.factors, pd.proofs, strict=True)
        for c, f, p in zip(row_c, row_f, row_p, strict=True)
    ):
        return None
    return Failure(Check.DECRYPTION_PARTIAL, "invalid decryption proof")


def combine_decryptions(
    election: ElectionParams, trustees: Sequence[TrusteeKind], owned: dict[int, PartialDecryption]
) -> list[list[Any]]:
    """Synthetic decryption factors: Singles multiplied, each Pedersen group Lagrange-combined
    (Belenios ``combine_factors``: the first ``threshold`` members in order who decrypted)."""
    g = election.group
    shape = [[g.one for _ in q.answers] for q in election.questions]
    flat = decryption_keys(trustees)
    for entry in trustees:
        ids = [(tid, idx) for tid, t, idx, _ in flat if t is entry]
        if isinstance(entry, Single):
            tid = ids[0][0]
            if tid not in owned:
                raise CombinationError(f"missing partial decryption of trustee {tid}")
            part = owned[tid].factors
        elif isinstance(entry, Pedersen):
            present = [(idx, owned[tid]) for tid, idx in ids if tid in owned][: entry.threshold]
            if len(present) < entry.threshold:
                raise CombinationError(
                    f"{len(present)} of {entry.threshold} partial decryptions needed from the threshold group"
                )
            part = [
                [
                    threshold.combine_factors(g, {idx: pd.factors[i][j] for idx, pd in present})
                    for j in range(len(row))
                ]
                for i, row in enumerate(shape)
            ]
        else:
            raise TypeError(f"unknown trustee kind {entry!r}")
        shape = [
            [g.mul(a, b) for a, b in zip(ra, rb, strict=True)] for ra, rb in zip(shape, part, strict=True)
        ]
    return shape


def decrypt_result(
    election: ElectionParams, tally: EncryptedTally, factors: list[list[Any]], total_weight: int
) -> list[list[int]]:
    g = election.group
    return [
        [discrete_log(g, g.div(c.beta, f), total_weight) for c, f in zip(rc, rf, strict=True)]
        for rc, rf in zip(tally, factors, strict=True)
    ]


def check_result(
    election: ElectionParams, tally: EncryptedTally, factors: list[list[Any]], result: list[list[int]]
) -> Failure | None:
    """Belenios ``check_result``: g^result = β / F for every entry (``result.result``); None when it holds."""
    g = election.group
    if all(
        g.eq(g.g_pow(m), g.div(c.beta, f))
        for rc, rf, rm in zip(tally, factors, result, strict=True)
        for c, f, m in zip(rc, rf, rm, strict=True)
    ):
        return None
    return Failure(Check.RESULT_RESULT, "the published result does not decrypt the encrypted tally")


def result_json(result: list[list[int]]) -> str:
    return dumps({"result": result})


def parse_result(election: ElectionParams, raw: str, where: str = "result") -> list[list[int]]:
    obj = check_object(loads(raw, where), where, ("result",))
    rows = _check_shape(election, obj["result"], f"{where}.result")
    for i, row in enumerate(rows):
        for j, m in enumerate(row):
            if not isinstance(m, int) or isinstance(m, bool) or m < 0:
                raise FormatError(f"{where}.result[{i}][{j}]", "expected a non-negative integer")
    return rows
