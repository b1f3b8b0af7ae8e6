"""Strong decryption proofs of one local election (:mod:`strikevote.crypto.strong_decryption`), as JSON.

A trustee's proofs have the shape of its partial decryption: one proof per question per answer.  The bundle's
``locals/<id>.proofs.json`` gathers every trustee's::

    {"format": "strikevote-decryption-proofs/1", "election": <uuid>, "fingerprint": <φ>,
     "trustees": [{"owner": <trustee id>, "proofs": [[{"challenge": c, "response": r}, ...]]}, ...]}

Belenios ignores this file; ``strikevote verify`` requires it for every partial decryption of a bundle.
"""

from __future__ import annotations

from typing import Any

from strikevote.belenios.ballot import parse_proof, proof_json
from strikevote.belenios.codec import check_object, dumps, get_int, get_list, get_str, loads
from strikevote.belenios.election import ElectionParams
from strikevote.belenios.errors import FormatError
from strikevote.belenios.tally import EncryptedTally, PartialDecryption
from strikevote.crypto import strong_decryption
from strikevote.crypto.proofs import Proof
from strikevote.crypto.randomness import Randomness

FORMAT = "strikevote-decryption-proofs/1"
StrongProofs = list[list[Proof]]


def _statement(
    election: ElectionParams, public: Any, alpha: Any, factor: Any, trustee: int
) -> strong_decryption.Statement:
    return strong_decryption.Statement(election.group, public, alpha, factor, election.fingerprint, trustee)


def prove_partial(
    election: ElectionParams,
    tally: EncryptedTally,
    x: int,
    trustee: int,
    pd: PartialDecryption,
    rng: Randomness,
) -> StrongProofs:
    """Trustee ``trustee``'s strong proofs for its factors ``pd`` of ``tally`` (``x`` its decryption key)."""
    public = election.group.g_pow_secret(x)
    return [
        [
            strong_decryption.prove(_statement(election, public, c.alpha, f, trustee), x, rng)
            for c, f in zip(row_c, row_f, strict=True)
        ]
        for row_c, row_f in zip(tally, pd.factors, strict=True)
    ]


def failed_entries(
    election: ElectionParams,
    tally: EncryptedTally,
    public: Any,
    trustee: int,
    pd: PartialDecryption,
    sp: StrongProofs,
) -> list[tuple[int, int]]:
    """The (question, answer) positions whose strong proof does not verify (empty when all do)."""
    if len(sp) != len(tally) or any(len(r) != len(t) for r, t in zip(sp, tally, strict=True)):
        return [(-1, -1)]
    return [
        (i, j)
        for i, (row_c, row_f, row_p) in enumerate(zip(tally, pd.factors, sp, strict=True))
        for j, (c, f, p) in enumerate(zip(row_c, row_f, row_p, strict=True))
        if not strong_decryption.verify(_statement(election, public, c.alpha, f, trustee), p)
    ]


def proofs_json(sp: StrongProofs) -> str:
    return dumps([[proof_json(p) for p in row] for row in sp])


def parse_proofs(election: ElectionParams, value: Any, where: str) -> StrongProofs:
    if isinstance(value, str):
        value = loads(value, where)
    rows = get_list(value, None, where)
    if len(rows) != len(election.questions):
        raise FormatError(where, f"expected {len(election.questions)} question(s), got {len(rows)}")
    out = []
    for i, (row, q) in enumerate(zip(rows, election.questions, strict=True)):
        if not isinstance(row, list) or len(row) != len(q.answers):
            raise FormatError(f"{where}[{i}]", f"expected {len(q.answers)} entries")
        out.append([parse_proof(election.group, p, f"{where}[{i}][{j}]") for j, p in enumerate(row)])
    return out


def document_json(election: ElectionParams, by_owner: dict[int, StrongProofs]) -> str:
    return dumps(
        {
            "format": FORMAT,
            "election": election.uuid,
            "fingerprint": election.fingerprint,
            "trustees": [
                {"owner": owner, "proofs": [[proof_json(p) for p in row] for row in sp]}
                for owner, sp in sorted(by_owner.items())
            ],
        }
    )


def parse_document(election: ElectionParams, raw: str, where: str) -> dict[int, StrongProofs]:
    """Every trustee's proofs, by owner; raises FormatError naming ``where`` on any malformed part."""
    obj = check_object(loads(raw, where), where, ("format", "election", "fingerprint", "trustees"))
    if obj["format"] != FORMAT:
        raise FormatError(f"{where}.format", f"expected {FORMAT!r}")
    if get_str(obj, "election", where) != election.uuid:
        raise FormatError(
            f"{where}.election", f"proofs for election {obj['election']!r}, not {election.uuid}"
        )
    if get_str(obj, "fingerprint", where) != election.fingerprint:
        raise FormatError(f"{where}.fingerprint", "not the fingerprint of the archive's election")
    out: dict[int, StrongProofs] = {}
    for k, entry in enumerate(get_list(obj, "trustees", where)):
        w = f"{where}.trustees[{k}]"
        entry = check_object(entry, w, ("owner", "proofs"))
        owner = get_int(entry, "owner", w, minimum=1)
        if owner in out:
            raise FormatError(f"{w}.owner", f"trustee {owner} appears twice")
        out[owner] = parse_proofs(election, entry["proofs"], f"{w}.proofs")
    return out
