"""The records layer writes what strikevote wrote before it (tests/golden/records/README.md), byte for byte:
vote.json and result.json decode and re-encode to the same bytes, the vote's commitment is the one its
elections carry, result.json is rebuilt from vote.json and the counts alone, and the certificate of the two
records is the same page."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from strikevote.records.commitment import vote_commitment
from strikevote.records.result import ResultRecord
from strikevote.records.result_build import build_result
from strikevote.records.vote import VoteRecord
from strikevote.report import render_report_html
from strikevote.rules import LocalCount, evaluate, load_rule

GOLDEN = Path(__file__).parents[1] / "golden" / "records"
BUNDLES = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir())


def golden(name: str, file: str) -> str:
    return (GOLDEN / name / file).read_text(encoding="utf-8")


def test_there_are_golden_bundles() -> None:
    assert BUNDLES == ["iatse-2021", "lifecycle", "wga-2017"]


@pytest.mark.parametrize("name", BUNDLES)
def test_vote_json_round_trips_byte_for_byte(name: str) -> None:
    text = golden(name, "vote.json")
    assert VoteRecord.from_text(text).to_text() == text


@pytest.mark.parametrize("name", BUNDLES)
def test_result_json_round_trips_byte_for_byte(name: str) -> None:
    text = golden(name, "result.json")
    assert ResultRecord.from_text(text).to_text() == text


@pytest.mark.parametrize("name", BUNDLES)
def test_the_commitment_is_the_one_the_elections_carry(name: str) -> None:
    vote = VoteRecord.from_text(golden(name, "vote.json"))
    assert vote_commitment(vote) == golden(name, "commitment.txt").strip()
    assert vote_commitment(vote.header()) == vote_commitment(vote)  # the elections are outside it


@pytest.mark.parametrize("name", BUNDLES)
def test_result_json_is_rebuilt_from_the_vote_and_the_counts(name: str) -> None:
    vote = VoteRecord.from_text(golden(name, "vote.json"))
    published = ResultRecord.from_text(golden(name, "result.json"))
    decrypted = {x.id: (x.yes, x.no) for x in published.locals}  # what the archives' results say
    counts = []
    for local in vote.terms.locals:
        election = vote.election(local.id)
        assert election is not None
        yes, no = decrypted[local.id]
        counts.append(LocalCount(local.id, local.name, local.delegates, election.eligible, yes, no))
    rebuilt = build_result(vote, evaluate(load_rule(vote.terms.rule), counts), published.closed_at)
    assert rebuilt.to_text() == golden(name, "result.json")


# The verification shown on the golden certificates (tests/golden/records/README.md).
CHECKS = [
    ("600/archive.event-chain", True, "the event chain is intact"),
    ("700/ballot.all", False, "ballot 3: bad proof"),
    ("bundle.definition", True, "vote.json matches the elections"),
    ("result.field", True, "result.json equals the rebuilt record"),
]
_PNG = re.compile(r"data:image/png;base64,([A-Za-z0-9+/=]+)")


@pytest.mark.parametrize("name", BUNDLES)
def test_the_certificate_is_the_same_page(name: str) -> None:
    vote = VoteRecord.from_text(golden(name, "vote.json"))
    result = ResultRecord.from_text(golden(name, "result.json"))
    page = render_report_html(result, verification=CHECKS, vote=vote)
    charts = _PNG.findall(page)
    assert len(charts) == 2 and all(base64.b64decode(c).startswith(b"\x89PNG") for c in charts)
    assert _PNG.sub("data:image/png;base64,PNG", page) == golden(name, "report.html")
