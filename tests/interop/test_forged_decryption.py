"""Issue 7, defect 1: a trustee forges the result with decryption proofs Belenios accepts; strikevote's strong
proofs catch it.

The forgery of ``tests/forgery.py`` on both groups, with a Single trustee and with one member of a 2-of-3
Pedersen group: true Yes 2 / No 4 is published as [[4, 2]].  The archive passes every Belenios check (ours and
belenios-tool's: 2.0 for BELENIOS-2048, 3.0 for Ed25519, which also computes the forged result), but the
forger cannot make strikevote's strong proof for its factor, so the bundle check fails
``decryption.strong-proof`` naming the trustee; the honest trustee's strong proof passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from belenios_helpers import tool_compute_result, tool_verify

from forgery import colluding_ballot, forged_partial, plan, weak_style_strong_proofs
from strikevote.belenios.ballot import create_ballot, parse_ballot
from strikevote.belenios.election import ElectionParams
from strikevote.belenios.setup import (
    generate_credentials,
    make_single,
    new_uuid,
    public_credentials_json,
    run_pedersen_ceremony,
)
from strikevote.belenios.strong_proofs import StrongProofs, document_json, prove_partial
from strikevote.belenios.tally import (
    PartialDecryption,
    add_to_tally,
    combine_decryptions,
    compute_factor,
    decrypt_result,
    empty_tally,
)
from strikevote.belenios.trustees import Single, TrusteeKind, combined_public_key
from strikevote.crypto import threshold
from strikevote.crypto.credentials import derive_secret
from strikevote.crypto.groups import group_by_name
from strikevote.crypto.randomness import DeterministicRandomness
from strikevote.simulation.archive import ElectionArchive
from strikevote.simulation.election import YES_NO
from strikevote.verify.archive import ArchiveFacts, verify_archive
from strikevote.verify.bundle import check_strong_proofs
from strikevote.verify.checks import Report

pytestmark = pytest.mark.interop

YES, NO = [[1, 0]], [[0, 1]]
HONEST_VOTES = [YES, YES, NO, NO, NO]  # and the colluding voter votes No: true result Yes 2, No 4
FORGER = 1
CASES = [(g, m) for g in ("Ed25519", "BELENIOS-2048") for m in ("single", "threshold")]


@dataclass
class Forged:
    path: Path
    election: ElectionParams
    facts: ArchiveFacts
    partials: dict[int, PartialDecryption]
    secrets: dict[int, int]
    forger_x: int
    forgery: Any


@pytest.fixture(scope="module", params=CASES, ids=[f"{g}-{m}" for g, m in CASES])
def forged(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Forged:
    group_name, mode = request.param
    g = group_by_name(group_name)
    rng = DeterministicRandomness(f"forgery|{group_name}|{mode}")
    trustees: list[TrusteeKind]
    if mode == "single":
        x = g.random_scalar(rng)
        trustees, secrets, decrypting, lam = [Single(make_single(g, x, rng))], {1: x}, [1], 1
    else:
        pedersen, shares = run_pedersen_ceremony(g, 2, 3, rng)
        trustees, secrets, decrypting = [pedersen], dict(enumerate(shares, start=1)), [1, 2]
        lam = threshold.lagrange_coefficient(g, decrypting, FORGER)
    uuid = new_uuid(rng)
    election = ElectionParams.make(
        group=g,
        public_key=combined_public_key(g, trustees),
        uuid=uuid,
        name="Strike authorization",
        description="Strike authorization vote",
        questions=(YES_NO,),
    )
    creds = generate_credentials(g, uuid, len(HONEST_VOTES) + 1, rng)
    secret = [derive_secret(g, uuid, c.private) for c in creds]
    raws = [
        create_ballot(election, secret[i], v, DeterministicRandomness(f"voter {i}")).raw
        for i, v in enumerate(HONEST_VOTES)
    ]
    alpha_rest = [g.one, g.one]
    for raw in raws:
        for j, ct in enumerate(parse_ballot(g, raw).answers[0].choices):
            alpha_rest[j] = g.mul(alpha_rest[j], ct.alpha)
    x = secrets[FORGER]
    forgery = plan(election, g.g_pow(x), alpha_rest, [+2, -2], lam, rng)
    raws.append(colluding_ballot(election, secret[-1], NO, forgery))

    path = tmp_path_factory.mktemp(f"forged-{group_name}-{mode}") / "forged.bel"
    archive = ElectionArchive.create(
        path,
        election,
        trustees,
        public_credentials_json(g, [c.public for c in creds]),
        timestamp=1_800_000_000,
    )
    tally = empty_tally(election)
    for raw in raws:
        archive.add_ballot(raw)
        add_to_tally(g, tally, parse_ballot(g, raw).answers)
    archive.end_ballots()
    archive.add_encrypted_tally(tally, len(raws), len(raws))
    partials = {}
    for tid in decrypting:
        pd = forged_partial(election, tally, x, forgery) if tid == FORGER else None
        partials[tid] = pd or compute_factor(election, tally, secrets[tid], rng)
        archive.add_partial_decryption(tid, partials[tid])
    result = decrypt_result(election, tally, combine_decryptions(election, trustees, partials), len(raws))
    assert result == [[4, 2]]  # the forged count: 2 yes and 4 no were cast
    archive.add_result(result)
    archive.close()
    report, facts = verify_archive(path, jobs=1)
    assert report.valid, [(c.name, c.detail) for c in report.failures]  # every Belenios check passes
    assert facts.result == [[4, 2]]
    return Forged(path, election, facts, partials, secrets, x, forgery)


def test_belenios_tool_accepts_the_forged_archive(
    forged: Forged, belenios_tool_2: str, belenios_tool_3: str, tmp_path: Path
) -> None:
    tool = belenios_tool_2 if forged.election.group.name == "BELENIOS-2048" else belenios_tool_3
    tool_verify(tool, forged.path, tmp_path)
    assert tool_compute_result(tool, forged.path, tmp_path) == {"result": [[4, 2]]}


def _strong_check(forged: Forged, forger_proofs: StrongProofs, tmp_path: Path) -> Report:
    e, tally = forged.election, forged.facts.tally
    assert tally is not None
    rng = DeterministicRandomness("honest trustees")
    by_owner = {
        tid: forger_proofs if tid == FORGER else prove_partial(e, tally, forged.secrets[tid], tid, pd, rng)
        for tid, pd in forged.partials.items()
    }
    doc = tmp_path / "44.proofs.json"
    doc.write_text(document_json(e, by_owner))
    report = Report("bundle")
    check_strong_proofs(report, doc, "44", forged.facts)
    return report


@pytest.mark.parametrize("attempt", ["honest-prover", "weak-style"])
def test_strong_proofs_reject_the_forged_factor(forged: Forged, tmp_path: Path, attempt: str) -> None:
    e, tally, x = forged.election, forged.facts.tally, forged.forger_x
    assert tally is not None
    if attempt == "honest-prover":  # the strong prover run on the forged factor
        proofs = prove_partial(e, tally, x, FORGER, forged.partials[FORGER], DeterministicRandomness("f"))
    else:  # the same (c, w − x·c) that fooled Belenios
        proofs = weak_style_strong_proofs(x, forged.forgery, e.group.q)
    report = _strong_check(forged, proofs, tmp_path)
    failed = report.failures
    assert {c.name for c in failed} == {"decryption.strong-proof"}
    assert len(failed) == 1 and f"trustee {FORGER}'s strong proof fails" in failed[0].detail
    honest = [c for c in report.checks if c.name == "decryption.strong-proof" and c.passed]
    assert len(honest) == len(forged.partials) - 1


def test_an_honest_factor_of_the_same_tally_passes(forged: Forged, tmp_path: Path) -> None:
    """The control: the forger's honest factor α^x and its strong proof verify on this very tally."""
    e, tally, x = forged.election, forged.facts.tally, forged.forger_x
    assert tally is not None
    honest = compute_factor(e, tally, x, DeterministicRandomness("h"))
    facts = ArchiveFacts(
        election=e, trustees=forged.facts.trustees, tally=tally, partials={**forged.partials, FORGER: honest}
    )
    forged_copy = Forged(forged.path, e, facts, facts.partials, forged.secrets, x, forged.forgery)
    report = _strong_check(
        forged_copy, prove_partial(e, tally, x, FORGER, honest, DeterministicRandomness("p")), tmp_path
    )
    assert report.valid and sum(c.name == "decryption.strong-proof" for c in report.checks) == len(
        facts.partials
    )
