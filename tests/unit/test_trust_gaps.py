# ruff: noqa: F811  (pytest fixtures imported from test_verify_tamper are redefined as arguments)
"""The audit's archive-level defects (issue 7), each attack reproduced and rejected with a named check:
a count of m + q (defect 4), a downgraded Pedersen record (defect 7), a yes/no question that is not
exactly-one (defect 9).  The forged decryption proofs (defect 1) are in ``test_strong_proofs.py``."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import gmpy2
import pytest
from records_kit import vote_record
from test_verify_tamper import (
    Entry,
    Setup,
    failures,
    ghonest,  # noqa: F401 - fixtures
    gsetup,  # noqa: F401
    honest,  # noqa: F401
    index_entries,
    payloads,
    setup,  # noqa: F401
    tamper,
)

from strikevote.belenios.election import ElectionParams, Question
from strikevote.crypto.randomness import DeterministicRandomness
from strikevote.records.commitment import election_description, vote_commitment
from strikevote.records.vote import LocalTerms
from strikevote.rules import LocalCount
from strikevote.verify.bundle import definition_matches


def test_result_of_m_plus_q_fails_result_range(
    gsetup: Setup,
    ghonest: tuple[Path, list[str], Any],
    tmp_path: Path,
) -> None:
    q = gsetup.group.q

    def edit(entries: list[Entry]) -> None:
        (result,) = payloads(entries, "Result")
        assert result.json() == {"result": [[3, 1]]}
        result.set_json({"result": [[3 + q, 1]]})  # g^(3+q) = g^3: the Belenios equation still holds

    assert failures(tamper(ghonest[0], tmp_path / "r.bel", edit)) == {"result.range"}


def test_honest_archive_passes_result_range(ghonest: tuple[Path, list[str], Any]) -> None:
    from strikevote.verify.archive import verify_archive

    report, _ = verify_archive(ghonest[0], jobs=1)
    assert any(c.name == "result.range" and c.passed for c in report.checks)


def _strip_30_signatures(entries: list[Entry]) -> None:
    data, events = index_entries(entries)
    setup_data = next(p for t, p in events if t == "Setup").json()
    trustees = data[setup_data["trustees"]]
    items = trustees.json()
    for kind, body in items:
        if kind == "Pedersen":
            body.pop("signatures")
            for vk in body["verification_keys"]:
                vk.pop("signature")
            assert all('"context"' in c["message"] for c in body["certs"])  # the certificates stay 3.0
    trustees.set_json(items)


def test_downgraded_pedersen_record_fails_dialect(
    honest: tuple[Path, list[str], Any], tmp_path: Path
) -> None:
    assert failures(tamper(honest[0], tmp_path / "p.bel", _strip_30_signatures)) == {
        "trustees.pedersen-dialect"
    }


def test_yes_no_question_must_be_exactly_one(setup: Setup) -> None:
    e = setup.election
    local = LocalTerms("44", "Local 44", 1, "Strike?")
    vote = vote_record([LocalCount("44", "Local 44", 1, 10, 0, 0)], union="U", title="T", group=e.group.name)
    vote = replace(vote, terms=replace(vote.terms, locals=(local,)))

    def election(lo: int, hi: int) -> ElectionParams:
        return ElectionParams.make(
            group=e.group,
            public_key=e.public_key,
            uuid=e.uuid,
            name="T — Local 44",
            description=election_description("U", "T", "44", vote_commitment(vote)),
            questions=(Question(("Yes", "No"), lo, hi, "Strike?"),),
        )

    assert definition_matches(vote, local, election(1, 1))
    assert not definition_matches(vote, local, election(0, 1))  # a blank ballot would be counted
    assert not definition_matches(vote, local, election(1, 2))  # so would a yes-and-no ballot


# --- defect 8: constant-time secret exponents in BELENIOS-2048 ------------------------------------------------


def test_secret_exponentiation_matches_the_public_one() -> None:
    from strikevote.crypto.ff import BELENIOS_2048 as G2048

    rng = DeterministicRandomness("ct")
    a = G2048.g_pow(12345)
    for k in [0, 1, 2, G2048.q - 1, G2048.q, G2048.q + 5, -3, *(rng.below(G2048.q) for _ in range(5))]:
        assert G2048.g_pow_secret(k) == G2048.g_pow(k) == gmpy2.powmod(G2048.g, k % G2048.q, G2048.p)
        assert G2048.pow_secret(a, k) == G2048.pow(a, k)


def test_no_secret_exponent_goes_through_the_fixed_base_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ballots, credentials, trustee keys, shares and decryption factors: the table (``g_pow``, whose row
    lookups follow the exponent's digits) only ever sees the public interval shifts g^0 and g^-1."""
    from strikevote.belenios.ballot import create_ballot
    from strikevote.belenios.election import ElectionParams, Question
    from strikevote.belenios.setup import generate_credentials, run_pedersen_ceremony, step1_certificate
    from strikevote.belenios.tally import add_to_tally, compute_factor, empty_tally
    from strikevote.belenios.trustees import combined_public_key
    from strikevote.crypto.ff import BELENIOS_2048 as G2048

    seen: list[int] = []
    table = G2048.g_pow

    def recording(k: int) -> Any:
        seen.append(k % G2048.q)
        return table(k)

    rng = DeterministicRandomness("no table")
    # the ceremony's own steps also verify proofs (public exponents), so the secret ones are checked apart
    pedersen, shares = run_pedersen_ceremony(G2048, 2, 3, rng)
    monkeypatch.setattr(G2048, "g_pow", recording)
    step1_certificate(G2048, 1, 2, 3, rng)
    assert seen == []
    e = ElectionParams.make(
        group=G2048,
        public_key=combined_public_key(G2048, [pedersen]),
        uuid="abcdefghijklmn",
        name="n",
        description="d",
        questions=(Question(("Yes", "No"), 1, 1, "q"),),
    )
    (cred,) = generate_credentials(G2048, e.uuid, 1, rng)
    from strikevote.crypto.credentials import derive_secret

    ballot = create_ballot(e, derive_secret(G2048, e.uuid, cred.private), [[0, 1]], rng)
    tally = empty_tally(e)
    add_to_tally(G2048, tally, ballot.answers)
    compute_factor(e, tally, shares[0], rng)
    assert set(seen) <= {0, G2048.q - 1}, sorted(set(seen))[:3]
