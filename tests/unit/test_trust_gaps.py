# ruff: noqa: F811  (pytest fixtures imported from test_verify_tamper are redefined as arguments)
"""The audit's archive-level defects (issue 7), each attack reproduced and rejected with a named check:
a count of m + q (defect 4), a downgraded Pedersen record (defect 7), a yes/no question that is not
exactly-one (defect 9).  The forged decryption proofs (defect 1) are in ``test_strong_proofs.py``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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

from strikevote.belenios.election import Election, Question
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
    vote = {"title": "T", "union": "U", "group": e.group.name}
    local = {"id": "44", "name": "Local 44", "question": "Strike?"}

    def election(lo: int, hi: int) -> Election:
        from strikevote.rules.result_doc import election_description, vote_commitment

        return Election.make(
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
