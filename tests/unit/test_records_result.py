"""strikevote.records.result: the result record built from the rules engine's evaluation, its codec, and the
numbers it stores (strikevote.records.numbers)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from records_kit import CLOSED_AT, result_of, vote_record

from strikevote.records.errors import RecordError
from strikevote.records.numbers import percent_one_decimal, rounded_share, thousands
from strikevote.records.result import RESULT_FORMAT, ResultRecord
from strikevote.records.result_build import build_result
from strikevote.rules import LocalCount, evaluate, load_rule

WGA = [LocalCount("W", "WGA West", 0, 6700, 4500, 150), LocalCount("E", "WGA East", 0, 2648, 1577, 83)]
IATSE = [LocalCount(f"F{i}", f"Local F{i}", 32, 1000, 600, 200) for i in range(8)] + [
    LocalCount(f"A{i}", f"Local A{i}", d, 6000, 1659, 2341) for i, d in enumerate([40, 40, 36, 36, 36])
]

# --- numbers ------------------------------------------------------------------------------------------------------


def test_percent_rounds_half_up_from_the_exact_fraction() -> None:
    assert percent_one_decimal(6077, 6310) == "96.3%"
    assert percent_one_decimal(6310, 9348) == "67.5%"
    assert percent_one_decimal(1, 16) == "6.3%"  # 6.25 -> 6.3 (half up, not to even)
    assert percent_one_decimal(1, 3) == "33.3%"
    assert percent_one_decimal(2, 3) == "66.7%"
    assert percent_one_decimal(5, 5) == "100.0%"
    assert percent_one_decimal(0, 0) == "0.0%"
    assert thousands(6310) == "6,310"
    assert thousands(1234567) == "1,234,567"


def test_rounded_share_is_pythons_round_to_six_decimals() -> None:
    assert rounded_share(6077, 6310) == 0.963074
    assert (
        rounded_share(1, 128) == 0.007812
    )  # 0.0078125 exactly: half to even, as result.json has always held
    assert rounded_share(3, 0) == 0.0
    assert isinstance(rounded_share(1, 1), float)


# --- build_result -------------------------------------------------------------------------------------------------


def test_build_result_keys_and_values() -> None:
    result = result_of(WGA, union="Writers Guild of America", title="2017 strike authorization")
    doc = result.to_json()
    assert list(doc) == [
        "format",
        "simulation",
        "union",
        "title",
        "kind",
        "group",
        "closed_at",
        "passed",
        "announcement",
        "rule",
        "popular",
        "delegates",
        "locals_in_favor",
        "locals",
    ]
    assert doc["format"] == RESULT_FORMAT == "strikevote-result/2"
    assert (doc["union"], doc["title"], doc["kind"], doc["group"]) == (
        "Writers Guild of America",
        "2017 strike authorization",
        "strike-authorization",
        "Ed25519",
    )
    assert doc["closed_at"] == "2021-10-03T20:00:00+00:00"
    assert doc["passed"] is True and doc["simulation"] is False
    assert doc["rule"]["name"] == "simple-majority" and doc["rule"]["spec"] == "simple-majority"
    assert doc["rule"]["decided_by"] == ["members"]
    assert doc["popular"] == {
        "yes": 6077,
        "no": 233,
        "ballots": 6310,
        "eligible": 9348,
        "yes_share": 0.963074,
        "turnout": round(6310 / 9348, 6),
        "passed": True,
    }
    assert doc["delegates"] == {"yes": 0, "no": 0, "total": 0, "passed": False}
    west = doc["locals"][0]
    assert list(west) == [
        "id",
        "name",
        "delegates",
        "eligible",
        "ballots",
        "yes",
        "no",
        "yes_share",
        "turnout",
        "in_favor",
        "delegates_yes",
        "election_uuid",
        "election_fingerprint",
    ]
    assert (west["id"], west["name"], west["ballots"]) == ("W", "WGA West", 4650)
    assert west["yes_share"] == round(4500 / 4650, 6) and west["turnout"] == round(4650 / 6700, 6)
    assert (west["election_uuid"], west["election_fingerprint"]) == ("uuid-W", "fp-W")
    assert west["in_favor"] is True
    assert doc["announcement"] == (
        "Members of the Writers Guild of America have voted to authorize a strike. "
        "96.3% of the 6,310 members who cast ballots voted in favor; 67.5% of eligible members voted."
    )
    json.dumps(doc, allow_nan=False)  # plain JSON data


def test_build_result_takes_the_evaluation_as_it_is() -> None:
    """Every figure of the evaluation reaches the record: trace, threshold, flags, per-local outcome."""
    vote = vote_record(IATSE, rule="iatse-constitution")
    evaluation = evaluate(load_rule("iatse-constitution"), IATSE)
    result = build_result(vote, evaluation, CLOSED_AT)
    assert result.rule.trace == tuple(evaluation.trace)
    assert result.rule.threshold == evaluation.threshold == 0.75
    assert (result.rule.counts_locals, result.rule.uses_delegates) == (False, True)
    assert result.rule.decided_by == ("delegates",)
    assert [x.in_favor for x in result.locals] == [e["in_favor"] for e in evaluation.per_local]
    assert [x.delegates_yes for x in result.locals] == [e["delegates_yes"] for e in evaluation.per_local]
    assert (result.delegates.yes, result.delegates.no, result.delegates.total) == (256, 188, 444)
    assert result.locals_in_favor == 8 and result.passed is True and result.popular.passed is False


def test_zero_ballots_and_zero_eligible_give_zero_shares() -> None:
    result = result_of([LocalCount("A", "A", 0, 0, 0, 0), LocalCount("B", "B", 0, 10, 3, 1)])
    assert (result.locals[0].yes_share, result.locals[0].turnout) == (0.0, 0.0)


def test_a_rule_without_a_single_threshold_has_none() -> None:
    result = result_of(IATSE, "teamsters-pre-2021")
    assert result.rule.threshold is None
    assert "threshold" not in result.to_json()["rule"]


def test_a_local_evaluated_without_an_election_is_a_programming_error() -> None:
    vote = vote_record(WGA[:1])
    with pytest.raises(ValueError, match="no election"):
        build_result(vote, evaluate(load_rule("simple-majority"), WGA), CLOSED_AT)


# --- the codec ----------------------------------------------------------------------------------------------------


def test_the_codec_round_trips() -> None:
    for result in (result_of(WGA), result_of(IATSE, "iatse-constitution", simulation=True)):
        assert ResultRecord.from_json(result.to_json()) == result
        assert ResultRecord.from_text(result.to_text()).to_text() == result.to_text()


def _edit(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set (or, with ``...``, delete) the field at ``path`` (``locals.0.yes``)."""

    def edit(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = doc
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
        ("format", "strikevote-result/1", "result.format"),
        ("simulation", "yes", "result.simulation"),
        ("union", "", "result.union"),
        ("kind", "strike", "result.kind"),
        ("closed_at", "yesterday", "result.closed_at"),
        ("closed_at", "2021-10-03T20:00:00", "result.closed_at"),  # no offset
        ("passed", 1, "result.passed"),
        ("announcement", ..., "result.announcement"),
        ("extra", 0, "result.extra"),
        ("rule.trace", "one line", "result.rule.trace"),
        ("rule.threshold", 1.5, "result.rule.threshold"),
        ("rule.threshold", 1, "result.rule.threshold"),  # a share is written with its decimal point
        ("rule.decided_by", [], "result.rule.decided_by"),
        ("rule.decided_by", ["president"], "result.rule.decided_by[0]"),
        ("rule.spec", "no-such-preset", "result.rule.spec"),
        ("popular.yes", -1, "result.popular.yes"),
        ("popular.ballots", 6311, "result.popular.ballots"),  # not yes + no
        ("popular.eligible", 1, "result.popular.ballots"),  # more ballots than eligible members
        ("popular.turnout", 0.9e9, "result.popular.turnout"),
        ("delegates.no", 5, "result.delegates.total"),  # yes + no > total
        ("locals_in_favor", 3, "result.locals_in_favor"),  # of 2 locals
        ("locals", [], "result.locals"),
        ("locals.0.yes", True, "result.locals[0].yes"),
        ("locals.0.eligible", 6700.0, "result.locals[0].eligible"),
        ("locals.1.id", "W", "result.locals[1].id"),  # duplicate
        ("locals.1.election_uuid", ..., "result.locals[1].election_uuid"),
        ("locals.0.delegates_yes", 1, "result.locals[0].delegates_yes"),  # of 0 delegates
        ("locals.0.note", "recount", "result.locals[0].note"),
    ],
)
def test_decoding_names_the_bad_field(path: str, value: Any, field: str) -> None:
    doc = copy.deepcopy(result_of(WGA).to_json())
    _edit(path, value)(doc)
    with pytest.raises(RecordError) as err:
        ResultRecord.from_json(doc)
    assert err.value.path == field, err.value
    assert str(err.value).startswith(f"{field}: ")


def test_decoding_a_file_that_is_not_json_names_it() -> None:
    with pytest.raises(RecordError, match=r"^result\.json: not JSON"):
        ResultRecord.from_text("{")
    with pytest.raises(RecordError, match=r"^result: must be an object"):
        ResultRecord.from_json([])


def test_record_error_is_a_value_error() -> None:
    assert issubclass(RecordError, ValueError)
    assert RecordError("a.b", "wrong").message == "wrong"


def test_the_record_is_frozen() -> None:
    result = result_of(WGA)
    with pytest.raises(AttributeError):
        result.passed = False  # type: ignore[misc]
    assert replace(result, passed=False).passed is False and result.passed is True
