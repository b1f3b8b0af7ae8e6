"""Ballots (specification §"Ballots", §"Encrypted answers", §"Signatures"; Belenios ``election.ml``,
``question_h.ml``).

A ballot is ``{election_uuid, election_hash, credential, answers, signature}``.  For each homomorphic answer:
one ciphertext per choice, a 0/1 proof per choice (``prove|φ|cred|α,β|``) and an overall proof that the number of
ticked choices lies in [min, max] (``prove|φ|cred|α1,β1,…|Σα,Σβ|``).  The signature is a Schnorr proof of the
credential secret over ``sig|H|`` where H = Base64Compact(SHA-256(ballot without signature)).  Every statement is
built by :mod:`strikevote.crypto.statements`, for the prover (:func:`create_ballot`) and the verifier
(:class:`BallotCheck`) alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from strikevote.belenios.codec import check_object, decode_element, dumps, get_list, get_str, loads
from strikevote.belenios.election import ElectionParams, Question
from strikevote.belenios.errors import FormatError
from strikevote.crypto import elgamal, proofs, statements
from strikevote.crypto.elgamal import Ciphertext
from strikevote.crypto.errors import CryptoError
from strikevote.crypto.group import Group
from strikevote.crypto.hashing import sha256_b64
from strikevote.crypto.proofs import Proof
from strikevote.crypto.randomness import Randomness
from strikevote.records.checks import Check, Failure

BALLOT_FIELDS = ("election_uuid", "election_hash", "credential", "answers", "signature")
ANSWER_FIELDS = ("choices", "individual_proofs", "overall_proof", "blank_proof")


@dataclass(frozen=True, slots=True)
class Answer:
    choices: tuple[Ciphertext[Any], ...]
    individual_proofs: tuple[tuple[Proof, ...], ...]
    overall_proof: tuple[Proof, ...]


@dataclass(frozen=True, slots=True)
class Ballot:
    election_uuid: str
    election_hash: str
    credential: Any
    answers: tuple[Answer, ...]
    signature_hash: str
    signature: Proof
    raw: str

    @property
    def tracker(self) -> str:
        """The smart ballot tracker: Base64Compact(SHA-256(ballot))."""
        return sha256_b64(self.raw)


# --- encoding ------------------------------------------------------------------------------------------------


def proof_json(p: Proof) -> dict[str, str]:
    return {"challenge": str(p.challenge), "response": str(p.response)}


def ciphertext_json(group: Group[Any], ct: Ciphertext[Any]) -> dict[str, str]:
    return {"alpha": group.encode(ct.alpha), "beta": group.encode(ct.beta)}


def _answer_json(group: Group[Any], a: Answer) -> dict[str, Any]:
    return {
        "choices": [ciphertext_json(group, c) for c in a.choices],
        "individual_proofs": [[proof_json(p) for p in ps] for ps in a.individual_proofs],
        "overall_proof": [proof_json(p) for p in a.overall_proof],
    }


def _unsigned_json(
    group: Group[Any], uuid: str, fingerprint: str, credential: Any, answers: Sequence[Answer]
) -> dict[str, Any]:
    return {
        "election_uuid": uuid,
        "election_hash": fingerprint,
        "credential": group.encode(credential),
        "answers": [_answer_json(group, a) for a in answers],
    }


# --- parsing -------------------------------------------------------------------------------------------------


def parse_proof(group: Group[Any], obj: Any, where: str) -> Proof:
    obj = check_object(obj, where, ("challenge", "response"))
    try:
        return Proof(group.decode_scalar(obj["challenge"]), group.decode_scalar(obj["response"]))
    except CryptoError as exc:
        raise FormatError(where, str(exc)) from None


def parse_ciphertext(
    group: Group[Any], obj: Any, where: str, *, identity_ok: bool = False
) -> Ciphertext[Any]:
    obj = check_object(obj, where, ("alpha", "beta"))
    alpha = decode_element(group, obj["alpha"], f"{where}.alpha", identity_ok=identity_ok)
    beta = decode_element(group, obj["beta"], f"{where}.beta", identity_ok=identity_ok)
    return Ciphertext(alpha, beta)


def parse_proof_list(group: Group[Any], obj: Any, where: str) -> tuple[Proof, ...]:
    return tuple(parse_proof(group, p, f"{where}[{i}]") for i, p in enumerate(get_list(obj, None, where)))


def parse_ballot(group: Group[Any], raw: str, where: str = "ballot") -> Ballot:
    """Parse and decode (validating every element) without checking any proof."""
    obj = check_object(loads(raw, where), where, BALLOT_FIELDS)
    credential = decode_element(group, obj["credential"], f"{where}.credential")
    answers = []
    for i, a in enumerate(get_list(obj, "answers", where)):
        w = f"{where}.answers[{i}]"
        a = check_object(a, w, ANSWER_FIELDS, optional=("blank_proof",))
        if "blank_proof" in a:
            raise FormatError(f"{w}.blank_proof", "blank votes are not supported")
        choices = tuple(
            parse_ciphertext(group, c, f"{w}.choices[{j}]") for j, c in enumerate(get_list(a, "choices", w))
        )
        individual = tuple(
            parse_proof_list(group, p, f"{w}.individual_proofs[{j}]")
            for j, p in enumerate(get_list(a, "individual_proofs", w))
        )
        overall = parse_proof_list(group, a["overall_proof"], f"{w}.overall_proof")
        answers.append(Answer(choices, individual, overall))
    sig = check_object(obj["signature"], f"{where}.signature", ("hash", "proof"))
    signature = parse_proof(group, sig["proof"], f"{where}.signature.proof")
    return Ballot(
        get_str(obj, "election_uuid", where),
        get_str(obj, "election_hash", where),
        credential,
        tuple(answers),
        get_str(sig, "hash", f"{where}.signature"),
        signature,
        raw,
    )


def is_canonical(ballot: Ballot, group: Group[Any]) -> bool:
    """Belenios rejects a ballot whose re-serialization differs from its bytes (``NonCanonical``)."""
    return ballot_json(group, ballot) == ballot.raw


def ballot_json(group: Group[Any], ballot: Ballot) -> str:
    obj = _unsigned_json(group, ballot.election_uuid, ballot.election_hash, ballot.credential, ballot.answers)
    obj["signature"] = {"hash": ballot.signature_hash, "proof": proof_json(ballot.signature)}
    return dumps(obj)


# --- checking (Belenios ``check_ballot``) ---------------------------------------------------------------------


class BallotCheck:
    """Per-election precomputation for checking many ballots: shifts d_i and the statement prefix."""

    def __init__(self, election: ElectionParams) -> None:
        self.election = election
        self.group = election.group
        g = self.group
        self.zero_one = proofs.interval_shifts(g, 0, 1)
        self.overall = [proofs.interval_shifts(g, q.min, q.max) for q in election.questions]
        self.fingerprint = election.fingerprint

    def failed_check(self, ballot: Ballot) -> Failure | None:
        """None when the ballot is valid, else its first failed check."""
        failed = self._first_failed(ballot)
        return None if failed is None else Failure(failed)

    def _first_failed(self, ballot: Ballot) -> Check | None:
        e, g = self.election, self.group
        if ballot.election_uuid != e.uuid or ballot.election_hash != self.fingerprint:
            return Check.BALLOT_ELECTION
        if not is_canonical(ballot, g):
            return Check.BALLOT_CANONICAL
        unsigned = dumps(
            _unsigned_json(g, ballot.election_uuid, ballot.election_hash, ballot.credential, ballot.answers)
        )
        if ballot.signature_hash != sha256_b64(unsigned):
            return Check.BALLOT_SIGNATURE
        if not proofs.verify_knowledge(
            g, ballot.credential, ballot.signature, statements.signature_prefix(ballot.signature_hash)
        ):
            return Check.BALLOT_SIGNATURE
        if len(ballot.answers) != len(e.questions):
            return Check.BALLOT_PROOFS
        statement = statements.ballot_statement(g, self.fingerprint, ballot.credential)
        for question, answer, overall_shifts in zip(e.questions, ballot.answers, self.overall, strict=True):
            if not self._answer_ok(question, answer, overall_shifts, statement):
                return Check.BALLOT_PROOFS
        return None

    def _answer_ok(self, q: Question, a: Answer, overall_shifts: list[Any], statement: str) -> bool:
        g, y = self.group, self.election.public_key
        n = len(q.answers)
        if len(a.choices) != n or len(a.individual_proofs) != n or len(a.overall_proof) != q.max - q.min + 1:
            return False
        for ct, ps in zip(a.choices, a.individual_proofs, strict=True):
            if not proofs.verify_disjunction(g, y, self.zero_one, statement, ps, ct):
                return False
        overall_statement = statements.overall_statement(g, statement, a.choices)
        total = elgamal.product(g, a.choices)
        return proofs.verify_disjunction(g, y, overall_shifts, overall_statement, a.overall_proof, total)


# --- creation (Belenios ``create_ballot``) ---------------------------------------------------------------------


def create_ballot(
    election: ElectionParams, secret: int, choices: Sequence[Sequence[int]], rng: Randomness
) -> Ballot:
    """Encrypt a plaintext (one 0/1 list per question), prove it and sign it with the credential secret."""
    g, y = election.group, election.public_key
    if len(choices) != len(election.questions):
        raise ValueError("one choice list per question")
    credential = g.g_pow_secret(secret)
    statement = statements.ballot_statement(g, election.fingerprint, credential)
    zero_one = proofs.interval_shifts(g, 0, 1)
    answers = []
    for q, m in zip(election.questions, choices, strict=True):
        if len(m) != len(q.answers) or any(x not in (0, 1) for x in m) or not q.min <= sum(m) <= q.max:
            raise ValueError(f"invalid plaintext {list(m)} for question {q.question!r}")
        rs = [g.random_scalar(rng) for _ in m]
        cts = tuple(elgamal.encrypt(g, y, x, r) for x, r in zip(m, rs, strict=True))
        individual = tuple(
            tuple(proofs.prove_disjunction(g, y, zero_one, statement, x, r, ct, rng))
            for x, r, ct in zip(m, rs, cts, strict=True)
        )
        overall_statement = statements.overall_statement(g, statement, cts)
        overall = tuple(
            proofs.prove_disjunction(
                g,
                y,
                proofs.interval_shifts(g, q.min, q.max),
                overall_statement,
                sum(m) - q.min,
                sum(rs) % g.q,
                elgamal.product(g, cts),
                rng,
            )
        )
        answers.append(Answer(cts, individual, overall))
    unsigned = _unsigned_json(g, election.uuid, election.fingerprint, credential, answers)
    signature_hash = sha256_b64(dumps(unsigned))
    signature = proofs.prove_knowledge(g, secret, statements.signature_prefix(signature_hash), rng)
    unsigned["signature"] = {"hash": signature_hash, "proof": proof_json(signature)}
    return Ballot(
        election.uuid,
        election.fingerprint,
        credential,
        tuple(answers),
        signature_hash,
        signature,
        dumps(unsigned),
    )
