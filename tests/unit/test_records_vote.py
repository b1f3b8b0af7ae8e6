"""strikevote.records.vote and .commitment: the vote record's codec (every field checked, its path named), its
header and its commitment, and the vote definition's terms as vote.json holds them."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from records_kit import vote_record

from strikevote.records.commitment import election_description, vote_commitment
from strikevote.records.errors import RecordError
from strikevote.records.vote import EXCLUSION_REASONS, VOTE_FORMAT, VoteRecord
from strikevote.report.vote_facts import EXCLUSION_LABELS
from strikevote.roll.eligibility import ExclusionReason
from strikevote.rules import LocalCount
from strikevote.services.definition import parse_definition

COUNTS = [
    LocalCount("wgaw", "WGA West", 1, 6700, 4500, 150),
    LocalCount("wgae", "WGA East", 1, 2648, 1577, 83),
]


def doc() -> dict[str, Any]:
    return copy.deepcopy(vote_record(COUNTS).to_json())


def test_the_key_order_is_the_files() -> None:
    assert list(doc()) == [
        "format",
        "id",
        "union",
        "title",
        "kind",
        "group",
        "revote",
        "rule",
        "notice",
        "window",
        "trustees",
        "eligibility",
        "locals",
        "roll_digest",
        "trustees_fingerprint",
        "elections",
    ]
    assert doc()["format"] == VOTE_FORMAT == "strikevote-vote/1"
    assert list(doc()["elections"][0]["excluded"]) == ["total", *EXCLUSION_REASONS]
    simulated = vote_record(COUNTS, simulation=True).to_json()
    assert list(simulated)[:3] == ["format", "id", "simulation"] and simulated["simulation"] is True


def test_the_codec_round_trips() -> None:
    for record in (vote_record(COUNTS), vote_record(COUNTS, simulation=True, notice=None, excluded=None)):
        assert VoteRecord.from_json(record.to_json()) == record
        assert VoteRecord.from_text(record.to_text()).to_text() == record.to_text()
    header = vote_record(COUNTS).header()
    assert "elections" not in header.to_json()
    assert VoteRecord.from_json(header.to_json(), header_only=True) == header


def test_exclusion_reasons_are_the_rolls() -> None:
    assert tuple(ExclusionReason) == EXCLUSION_REASONS == tuple(EXCLUSION_LABELS)


def _edit(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set (or, with ``...``, delete) the field at ``path`` (``locals.0.id``)."""

    def edit(d: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = d
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        key: Any = int(last) if isinstance(node, list) else last
        if value is ...:
            del node[key]
        else:
            node[key] = value

    return edit


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("format", "strikevote-vote/2", "vote.format"),
        ("id", ..., "vote.id"),
        ("simulation", "yes", "vote.simulation"),
        ("union", " ", "vote.union"),
        ("kind", "strike", "vote.kind"),
        ("group", "P-256", "vote.group"),
        ("revote", "always", "vote.revote"),
        ("rule", "no-such-preset", "vote.rule"),
        ("rule", 7, "vote.rule"),
        ("notice", "15 September", "vote.notice"),
        ("window.timezone", "Mars/Olympus", "vote.window.timezone"),
        ("window.opens", "2021-10-01T09:00:00", "vote.window.opens"),  # no offset
        ("window.opens", "2021-10-01T09:00-04:00", "vote.window.opens"),  # not as isoformat writes it
        ("window.closes", "2021-09-01T09:00:00-04:00", "vote.window.closes"),  # before it opens
        ("trustees", ..., "vote.trustees"),
        ("trustees.k", 4, "vote.trustees"),  # k > n
        ("trustees.names", ["Ana"], "vote.trustees.names"),
        ("eligibility.cutoff", "2021-9-30", "vote.eligibility.cutoff"),
        ("eligibility.grace_days", -1, "vote.eligibility.grace_days"),
        ("eligibility.good_standing", [], "vote.eligibility.good_standing"),
        ("locals", [], "vote.locals"),
        ("locals.0.delegates", 1.0, "vote.locals[0].delegates"),
        ("locals.1.id", "wgaw", "vote.locals[1].id"),  # duplicate
        ("locals.0.question", ..., "vote.locals[0].question"),
        ("locals.0.extra", 1, "vote.locals[0].extra"),
        ("roll_digest", None, "vote.roll_digest"),
        ("elections", ..., "vote.elections"),
        ("elections.1.local", "wgaw", "vote.elections[1].local"),  # two elections for a local
        ("elections.0.eligible", True, "vote.elections[0].eligible"),
        ("elections.0.credentials_fingerprint", 5, "vote.elections[0].credentials_fingerprint"),
        ("elections.0.excluded.no_email", -1, "vote.elections[0].excluded.no_email"),
        ("elections.0.excluded.dues_arrears", ..., "vote.elections[0].excluded.dues_arrears"),
        ("state", "open", "vote.state"),
    ],
)
def test_decoding_names_the_bad_field(path: str, value: Any, field: str) -> None:
    d = doc()
    _edit(path, value)(d)
    with pytest.raises(RecordError) as err:
        VoteRecord.from_json(d)
    assert err.value.path == field, err.value
    assert str(err.value).startswith(f"{field}: ")


def test_decoding_accepts_what_the_writers_may_leave_out() -> None:
    d = doc()
    d["notice"] = None
    d["elections"][0]["credentials_fingerprint"] = None  # not issued yet (the API's vote.json)
    del d["elections"][1]["excluded"]  # published before exclusions were
    record = VoteRecord.from_json(d)
    assert record.terms.notice is None and record.elections is not None
    assert record.elections[0].credentials_fingerprint is None and record.elections[1].excluded is None
    assert record.to_json() == d


def test_a_header_has_no_elections_and_a_bundle_needs_them() -> None:
    header = doc()
    del header["elections"]
    assert VoteRecord.from_json(header, header_only=True).elections is None
    with pytest.raises(RecordError, match=r"^vote\.elections: missing"):
        VoteRecord.from_json(header)
    with pytest.raises(RecordError, match=r"^vote\.elections: unknown field"):
        VoteRecord.from_json(doc(), header_only=True)


def test_decoding_a_file_that_is_not_json_names_it() -> None:
    with pytest.raises(RecordError, match=r"^vote\.json: not JSON"):
        VoteRecord.from_text("[1,")


# --- the commitment ---------------------------------------------------------------------------------------------


def test_the_commitment_covers_the_header_and_nothing_else() -> None:
    record = vote_record(COUNTS)
    commitment = vote_commitment(record)
    assert vote_commitment(record.header()) == commitment
    assert vote_commitment(replace(record, elections=())) == commitment  # the elections are outside it
    assert vote_commitment(replace(record, roll_digest="1" * 64)) != commitment
    moved = replace(
        record.terms, locals=(replace(record.terms.locals[0], delegates=51), record.terms.locals[1])
    )
    assert vote_commitment(replace(record, terms=moved)) != commitment
    assert vote_commitment(vote_record(COUNTS, simulation=True)) != commitment
    assert election_description("U", "T", "44", commitment) == f"U: T (local 44); vote {commitment}"


# --- the definition's terms ---------------------------------------------------------------------------------------


def test_a_definitions_terms_are_vote_jsons() -> None:
    from datetime import date, datetime

    defn = parse_definition(
        {
            "union": "U",
            "title": "T",
            "rule": "articles-iatse",
            "notice": date(2021, 9, 1),
            "window": {
                "opens": datetime(2021, 10, 1, 9),
                "closes": datetime(2021, 10, 3, 23, 59),
                "timezone": "America/New_York",
            },
            "trustees": {"n": 1, "k": 1},
            "eligibility": {"cutoff": date(2021, 9, 30), "good_standing": ["retired", "active"]},
            "locals": [{"id": 44, "name": "Local 44", "delegates": 3}],
        },
        "vote.toml",
    )
    terms = defn.terms()
    assert terms.window.opens.isoformat() == "2021-10-01T09:00:00-04:00"
    assert terms.eligibility.good_standing == ("active", "retired")  # sorted
    assert terms.locals[0].id == "44" and terms.locals[0].question == "Do you authorize a strike?"
    assert defn.to_json() == terms.to_json()
    record = VoteRecord("v", terms, "d", "t", None)
    assert VoteRecord.from_json(record.to_json(), header_only=True) == record
