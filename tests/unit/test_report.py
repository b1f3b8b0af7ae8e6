"""strikevote.report: result.json, announcement and the HTML results certificate."""

from __future__ import annotations

import base64
import copy
import json
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from strikevote.report import (
    FORMAT,
    ReportError,
    announcement,
    build_result,
    render_report_html,
    write_report,
)
from strikevote.report.formatting import count, percent, union_phrase

# ------------------------------------------------------------------------------------------------ helpers


def local(
    id_: str, yes: int, no: int, eligible: int, *, delegates: int = 0, name: str | None = None
) -> dict[str, Any]:
    return {
        "id": id_,
        "name": name if name is not None else f"Local {id_}",
        "delegates": delegates,
        "eligible": eligible,
        "yes": yes,
        "no": no,
        "election_uuid": f"uuid-{id_}",
        "election_fingerprint": f"fp-{id_}",
    }


def evaluation(
    locals_: Sequence[Mapping[str, Any]],
    *,
    passed: bool,
    popular_passed: bool,
    in_favor: Mapping[str, bool],
    delegates_passed: bool = False,
    rule: str = "simple-majority",
    description: str = "a majority of ballots in favor",
    **extra: Any,
) -> dict[str, Any]:
    """An Evaluation.to_json()-shaped dict; delegates are winner-take-all per local."""
    yes = sum(x["yes"] for x in locals_)
    no = sum(x["no"] for x in locals_)
    eligible = sum(x["eligible"] for x in locals_)
    total = sum(x["delegates"] for x in locals_)
    per_local = [
        {
            "id": x["id"],
            "yes_share": x["yes"] / (x["yes"] + x["no"]) if x["yes"] + x["no"] else 0.0,
            "turnout": (x["yes"] + x["no"]) / x["eligible"] if x["eligible"] else 0.0,
            "in_favor": in_favor[x["id"]],
            "delegates_yes": x["delegates"] if in_favor[x["id"]] else 0,
        }
        for x in locals_
    ]
    d_yes = sum(p["delegates_yes"] for p in per_local)
    return {
        "rule": rule,
        "description": description,
        "passed": passed,
        "trace": [f"popular: {yes} yes of {yes + no} ballots", "outcome <computed>"],
        "popular": {
            "yes": yes,
            "no": no,
            "ballots": yes + no,
            "eligible": eligible,
            "yes_share": yes / (yes + no) if yes + no else 0.0,
            "turnout": (yes + no) / eligible if eligible else 0.0,
            "passed": popular_passed,
        },
        "delegates": {"yes": d_yes, "no": total - d_yes, "total": total, "passed": delegates_passed},
        "locals_in_favor": sum(1 for p in per_local if p["in_favor"]),
        "per_local": per_local,
        **extra,
    }


def build(
    locals_: Sequence[Mapping[str, Any]],
    ev: Mapping[str, Any],
    *,
    union: str = "Writers Guild of America",
    kind: str = "strike-authorization",
) -> dict[str, Any]:
    return build_result(
        union=union,
        vote_title="2017 strike authorization",
        kind=kind,
        locals_=locals_,
        evaluation=ev,
        closed_at="2017-04-24T17:00:00-07:00",
        group="Ed25519",
    )


def wga() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """WGA 2017: 96.3% of 6,310 ballots yes, 67.5% turnout (two locals, West and East)."""
    locals_ = [local("W", 4500, 150, 6700, name="WGA West"), local("E", 1577, 83, 2648, name="WGA East")]
    ev = evaluation(locals_, passed=True, popular_passed=True, in_favor={"W": True, "E": True})
    return locals_, ev


def iatse_basic() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """IATSE Basic Agreement 2021 shape: 49.6% popular, 8 of 13 locals, delegates 256 to 188."""
    favor = [local(f"F{i}", 600, 200, 1000, delegates=32) for i in range(8)]
    against_yes = [1659, 1659, 1659, 1659, 1658]
    against_delegates = [40, 40, 36, 36, 36]
    against = [
        local(f"A{i}", y, 4000 - y, 6000, delegates=d)
        for i, (y, d) in enumerate(zip(against_yes, against_delegates, strict=True))
    ]
    locals_ = favor + against
    ev = evaluation(
        locals_,
        passed=True,
        popular_passed=False,
        delegates_passed=True,
        in_favor={x["id"]: x["id"].startswith("F") for x in locals_},
        rule="iatse-constitution",
        description="each local's delegate block votes with its members; a majority of delegates decides",
        uses_delegates=True,
        uses_popular=False,
    )
    return locals_, ev


CHECKS = [
    ("archive W: event chain", True, "1,234 events"),
    ("result.json equals tallies", True, "2 locals"),
    ("rule <re-evaluated>", False, "expected passed & got failed"),
]


# --------------------------------------------------------------------------------------------- formatting


def test_percent_rounds_half_up_from_exact_fraction() -> None:
    assert percent(6077, 6310) == "96.3%"
    assert percent(6310, 9348) == "67.5%"
    assert percent(1, 16) == "6.3%"  # 6.25 -> 6.3 (half up, not to even)
    assert percent(1, 3) == "33.3%"
    assert percent(2, 3) == "66.7%"
    assert percent(5, 5) == "100.0%"
    assert percent(0, 0) == "0.0%"
    assert count(6310) == "6,310"
    assert count(1234567) == "1,234,567"


def test_union_phrase() -> None:
    assert union_phrase("Writers Guild of America") == "the Writers Guild of America"
    assert union_phrase("The Writers Guild of America") == "the Writers Guild of America"
    assert (
        union_phrase("International Brotherhood of Teamsters") == "the International Brotherhood of Teamsters"
    )
    assert union_phrase("SAG-AFTRA") == "SAG-AFTRA"
    assert union_phrase("IATSE") == "IATSE"


# ------------------------------------------------------------------------------------------- build_result


def test_build_result_keys_and_values() -> None:
    locals_, ev = wga()
    result = build(locals_, ev)

    for key in (
        "format",
        "union",
        "title",
        "kind",
        "group",
        "closed_at",
        "passed",
        "rule",
        "popular",
        "delegates",
        "locals",
        "announcement",
    ):
        assert key in result, key
    assert result["format"] == FORMAT == "strikevote-result/2"
    assert result["passed"] is True
    assert result["union"] == "Writers Guild of America"
    assert result["title"] == "2017 strike authorization"
    assert result["kind"] == "strike-authorization"
    assert result["group"] == "Ed25519"
    assert result["closed_at"] == "2017-04-24T17:00:00-07:00"
    assert result["rule"]["name"] == "simple-majority"
    assert result["rule"]["description"] == "a majority of ballots in favor"
    assert result["rule"]["trace"] == ev["trace"]

    popular = result["popular"]
    assert {k: popular[k] for k in ("yes", "no", "ballots", "eligible")} == {
        "yes": 6077,
        "no": 233,
        "ballots": 6310,
        "eligible": 9348,
    }
    assert popular["yes_share"] == round(6077 / 6310, 6) == 0.963074
    assert popular["turnout"] == round(6310 / 9348, 6)
    assert result["delegates"] == {"yes": 0, "no": 0, "total": 0, "passed": False}

    west = result["locals"][0]
    for key in (
        "id",
        "name",
        "delegates",
        "eligible",
        "ballots",
        "yes",
        "no",
        "turnout",
        "yes_share",
        "election_uuid",
        "election_fingerprint",
        "in_favor",
    ):
        assert key in west, key
    assert west["id"] == "W"
    assert west["name"] == "WGA West"
    assert west["ballots"] == west["yes"] + west["no"] == 4650
    assert west["yes_share"] == round(4500 / 4650, 6)
    assert west["turnout"] == round(4650 / 6700, 6)
    assert west["election_uuid"] == "uuid-W"
    assert west["election_fingerprint"] == "fp-W"
    assert west["in_favor"] is True
    assert [x["id"] for x in result["locals"]] == ["W", "E"]
    assert result["announcement"] == announcement(result)
    json.dumps(result, allow_nan=False)  # plain JSON data


def test_build_result_recomputes_shares_from_integers() -> None:
    locals_, ev = wga()
    result = build(locals_, ev)
    for x in result["locals"]:
        assert x["yes_share"] == round(x["yes"] / x["ballots"], 6)
        assert x["turnout"] == round(x["ballots"] / x["eligible"], 6)
    assert sum(x["ballots"] for x in result["locals"]) == result["popular"]["ballots"]


def test_build_result_zero_ballots_and_zero_eligible_give_zero_shares() -> None:
    locals_ = [local("A", 0, 0, 0), local("B", 3, 1, 10)]
    ev = evaluation(locals_, passed=True, popular_passed=True, in_favor={"A": False, "B": True})
    result = build(locals_, ev)
    assert result["locals"][0]["yes_share"] == 0.0
    assert result["locals"][0]["turnout"] == 0.0


def test_build_result_carries_threshold_and_rule_flags() -> None:
    locals_, ev = wga()
    ev["threshold"] = 0.75
    ev["counts_locals"] = True
    ev["uses_delegates"] = False
    result = build(locals_, ev)
    assert result["rule"]["threshold"] == 0.75
    assert result["rule"]["counts_locals"] is True
    assert result["rule"]["uses_delegates"] is False
    del ev["threshold"]
    ev["local_threshold"] = 2 / 3
    assert build(locals_, ev)["rule"]["threshold"] == 2 / 3


def test_build_result_accepts_counts_echoed_by_the_rules_engine() -> None:
    locals_, ev = wga()
    for entry, x in zip(ev["per_local"], locals_, strict=True):
        entry.update({k: x[k] for k in ("name", "delegates", "eligible", "yes", "no")})
        entry["ballots"] = x["yes"] + x["no"]
    build(locals_, ev)
    ev["per_local"][1]["no"] = 84
    with pytest.raises(
        ReportError, match=r"^evaluation\.per_local\[1\]\.no: 84 does not match the local's 83"
    ):
        build(locals_, ev)


def _mutated(path: str, value: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """wga() with one field replaced (value ``...`` deletes it); path like ``locals.0.yes``."""
    locals_, ev = wga()
    root: Any = {"locals": locals_, "evaluation": ev}
    *parents, last = path.split(".")
    for part in parents:
        root = root[int(part)] if isinstance(root, list) else root[part]
    key: Any = int(last) if isinstance(root, list) else last
    if value is ...:
        del root[key]
    else:
        root[key] = value
    return locals_, ev


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("locals.0.yes", -1, "locals[0].yes"),
        ("locals.1.no", -5, "locals[1].no"),
        ("locals.0.eligible", -1, "locals[0].eligible"),
        ("locals.0.delegates", -2, "locals[0].delegates"),
        ("locals.0.yes", 7000, "locals[0].eligible"),  # yes + no > eligible
        ("locals.0.yes", True, "locals[0].yes"),  # a bool is not a count
        ("locals.0.yes", 12.0, "locals[0].yes"),
        ("locals.1.election_uuid", ..., "locals[1].election_uuid"),
        ("locals.0.name", ..., "locals[0].name"),
        ("locals.0.election_fingerprint", "", "locals[0].election_fingerprint"),
        ("evaluation.passed", ..., "evaluation.passed"),
        ("evaluation.passed", "yes", "evaluation.passed"),
        ("evaluation.trace", ..., "evaluation.trace"),
        ("evaluation.popular.yes", 6076, "evaluation.popular.yes"),
        ("evaluation.popular.eligible", 1, "evaluation.popular.eligible"),
        ("evaluation.popular.passed", ..., "evaluation.popular.passed"),
        ("evaluation.delegates.total", ..., "evaluation.delegates.total"),
        ("evaluation.delegates.no", 5, "evaluation.delegates.total"),  # yes + no > total
        ("evaluation.per_local.0.id", "X", "evaluation.per_local[0].id"),
        ("evaluation.per_local.1.id", "W", "evaluation.per_local[1].id"),
        ("evaluation.per_local.0.delegates_yes", 1, "evaluation.per_local[0].delegates_yes"),
        ("evaluation.per_local.0.in_favor", ..., "evaluation.per_local[0].in_favor"),
        ("evaluation.locals_in_favor", 1, "evaluation.locals_in_favor"),
        ("evaluation.threshold", 1.5, "evaluation.threshold"),
    ],
)
def test_build_result_rejects_bad_input_naming_the_field(path: str, value: Any, field: str) -> None:
    locals_, ev = _mutated(path, value)
    with pytest.raises(ReportError) as err:
        build(locals_, ev)
    assert err.value.field == field
    assert str(err.value).startswith(f"{field}: ")


def test_build_result_rejects_missing_per_local_entry() -> None:
    locals_, ev = wga()
    del ev["per_local"][1]
    ev["locals_in_favor"] = 1
    with pytest.raises(ReportError, match=r"^evaluation\.per_local: no entry for local\(s\) E"):
        build(locals_, ev)


def test_build_result_rejects_delegate_total_not_matching_locals() -> None:
    locals_, ev = iatse_basic()
    ev["delegates"]["yes"] -= 1
    ev["delegates"]["no"] += 1
    with pytest.raises(ReportError, match=r"^evaluation\.delegates\.yes: 255 does not match .* \(256\)"):
        build(locals_, ev)


def test_build_result_rejects_duplicate_local_ids() -> None:
    locals_, ev = wga()
    locals_[1]["id"] = "W"
    with pytest.raises(ReportError, match=r"^locals\[1\]\.id: duplicate"):
        build(locals_, ev)


@pytest.mark.parametrize(
    ("kwarg", "value", "field"),
    [
        ("kind", "strike", "kind"),
        ("union", "", "union"),
        ("vote_title", "  ", "vote_title"),
        ("closed_at", "yesterday", "closed_at"),
        ("group", 5, "group"),
        ("locals_", [], "locals"),
        ("evaluation", [], "evaluation"),
    ],
)
def test_build_result_rejects_bad_arguments(kwarg: str, value: Any, field: str) -> None:
    locals_, ev = wga()
    kwargs: dict[str, Any] = {
        "union": "WGA",
        "vote_title": "t",
        "kind": "ratification",
        "locals_": locals_,
        "evaluation": ev,
        "closed_at": "2017-04-24T17:00:00Z",
        "group": "Ed25519",
    }
    kwargs[kwarg] = value
    with pytest.raises(ReportError) as err:
        build_result(**kwargs)
    assert err.value.field == field


def test_report_error_is_a_value_error() -> None:
    assert issubclass(ReportError, ValueError)


# ------------------------------------------------------------------------------------------- announcement


def test_announcement_wga_2017_press_sentence() -> None:
    result = build([local("WGA", 6077, 233, 9348)], _single_ev(6077, 233, 9348, passed=True))
    assert result["announcement"] == (
        "Members of the Writers Guild of America have voted to authorize a strike. "
        "96.3% of the 6,310 members who cast ballots voted in favor; 67.5% of eligible members voted."
    )


def _single_ev(yes: int, no: int, eligible: int, *, passed: bool, **extra: Any) -> dict[str, Any]:
    return evaluation(
        [local("WGA", yes, no, eligible)],
        passed=passed,
        popular_passed=passed,
        in_favor={"WGA": passed},
        **extra,
    )


def test_announcement_failed_strike_authorization() -> None:
    result = build(
        [local("WGA", 1200, 1800, 4000)], _single_ev(1200, 1800, 4000, passed=False), union="SAG-AFTRA"
    )
    assert result["passed"] is False
    assert result["announcement"] == (
        "Members of SAG-AFTRA have voted against authorizing a strike. "
        "40.0% of the 3,000 members who cast ballots voted in favor; 75.0% of eligible members voted."
    )


def test_announcement_ratified_and_rejected() -> None:
    ratified = build(
        [local("WGA", 751, 249, 2000)], _single_ev(751, 249, 2000, passed=True), kind="ratification"
    )
    assert ratified["announcement"].startswith(
        "Members of the Writers Guild of America have ratified the tentative agreement. 75.1% of the 1,000"
    )
    rejected = build(
        [local("WGA", 300, 700, 2000)], _single_ev(300, 700, 2000, passed=False), kind="ratification"
    )
    assert rejected["announcement"] == (
        "Members of the Writers Guild of America have rejected the tentative agreement. "
        "30.0% of the 1,000 members who cast ballots voted in favor; 50.0% of eligible members voted."
    )


def test_announcement_majority_short_of_supermajority() -> None:
    ev = _single_ev(7000, 3000, 12000, passed=False, description="at least 75% of votes cast in favor")
    ev["popular"]["passed"] = False
    result = build([local("WGA", 7000, 3000, 12000)], ev, union="SAG-AFTRA")
    assert result["announcement"] == (
        "Although 70.0% of members of SAG-AFTRA voted in favor, the strike authorization was rejected "
        "under the union's rule. In all, 10,000 members cast ballots; 83.3% of eligible members voted. "
        "The rule: at least 75% of votes cast in favor."
    )


def test_announcement_delegate_vote_overrides_popular_vote() -> None:
    locals_, ev = iatse_basic()
    result = build(
        locals_, ev, union="International Alliance of Theatrical Stage Employees", kind="ratification"
    )
    assert result["popular"]["ballots"] == 26400
    assert result["delegates"] == {"yes": 256, "no": 188, "total": 444, "passed": True}
    assert result["announcement"] == (
        "Although 49.6% of members of the International Alliance of Theatrical Stage Employees voted in "
        "favor, "
        "the tentative agreement was ratified by 256–188 delegate votes, 8 of 13 locals in favor. "
        "In all, 26,400 members cast ballots; 69.5% of eligible members voted. "
        "The rule: each local's delegate block votes with its members; a majority of delegates decides."
    )


def test_announcement_delegate_vote_rejects_despite_popular_majority() -> None:
    locals_, ev = iatse_basic()
    # Flip every local: 50.4% of members in favor, but the 188 delegates of the big locals are the minority.
    for x in locals_:
        x["yes"], x["no"] = x["no"], x["yes"]
    ev = evaluation(
        locals_,
        passed=False,
        popular_passed=True,
        delegates_passed=False,
        in_favor={x["id"]: x["id"].startswith("A") for x in locals_},
        description="a majority of delegate votes",
    )
    result = build(locals_, ev, union="IATSE", kind="ratification")
    assert result["announcement"].startswith(
        "Although 50.4% of members of IATSE voted in favor, the tentative agreement was rejected "
        "by 256–188 delegate votes against, 5 of 13 locals in favor."
    )


def test_announcement_counts_locals_when_the_rule_does() -> None:
    locals_ = [local(str(i), 90, 10, 150) for i in range(12)] + [local("12", 40, 60, 150)]
    ev = evaluation(
        locals_,
        passed=True,
        popular_passed=True,
        in_favor={x["id"]: x["id"] != "12" for x in locals_},
        rule="articles-iatse",
        description="at least 75% of all ballots in favor and a majority of locals in favor",
        threshold=0.75,
    )
    result = build(locals_, ev, union="IATSE")
    assert result["rule"]["counts_locals"] is True
    assert result["announcement"] == (
        "Members of IATSE have voted to authorize a strike. 86.2% of the 1,300 members who cast ballots "
        "voted in favor and 12 of 13 locals voted in favor; 66.7% of eligible members voted."
    )


def test_announcement_omits_locals_when_the_rule_does_not_count_them() -> None:
    locals_, ev = wga()
    result = build(locals_, ev)
    assert result["rule"]["counts_locals"] is False
    assert "locals voted" not in result["announcement"]


def test_announcement_notes_delegates_that_did_not_decide() -> None:
    locals_ = [local("big", 900, 100, 1000, delegates=10), local("s1", 40, 60, 100, delegates=20)]
    ev = evaluation(
        locals_,
        passed=True,
        popular_passed=True,
        delegates_passed=False,
        in_favor={"big": True, "s1": False},
        description="at least 75% of ballots",
    )
    result = build(locals_, ev, union="IATSE")
    assert result["announcement"].endswith(
        "voted in favor; 100.0% of eligible members voted. Delegates voted 10 in favor and 20 against, "
        "but the delegate vote does not decide the outcome under this rule. "
        "The rule: at least 75% of ballots."
    )
    # A rule known not to use delegates does not mention them.
    ev["uses_delegates"] = False
    quiet = build(locals_, ev, union="IATSE")["announcement"]
    assert "elegate" not in quiet and "The rule" not in quiet


def test_announcement_outcome_by_a_rule_other_than_the_popular_share() -> None:
    locals_ = [local("a", 70, 30, 100), local("b", 70, 30, 100), local("c", 20, 80, 100)]
    ev = evaluation(
        locals_,
        passed=True,
        popular_passed=False,
        delegates_passed=True,
        in_favor={"a": True, "b": True, "c": False},
        description="a majority of locals in favor",
        uses_delegates=False,
        counts_locals=True,
    )
    result = build(locals_, ev, union="IATSE")
    assert result["announcement"] == (
        "Members of IATSE have voted to authorize a strike. 53.3% of the 300 members who cast ballots voted "
        "in favor and 2 of 3 locals voted in favor; 100.0% of eligible members voted. "
        "The members' vote alone fell short, but the strike was authorized under the union's rule. "
        "The rule: a majority of locals in favor."
    )


def test_announcement_no_ballots() -> None:
    locals_ = [local("A", 0, 0, 120)]
    ev = evaluation(locals_, passed=False, popular_passed=False, in_favor={"A": False})
    assert build(locals_, ev)["announcement"] == (
        "No ballots were cast by the 120 eligible members of the Writers Guild of America; "
        "the strike authorization was rejected."
    )


def test_announcement_rejects_malformed_result() -> None:
    locals_, ev = wga()
    result = build(locals_, ev)
    broken = copy.deepcopy(result)
    del broken["popular"]["yes"]
    with pytest.raises(ReportError, match=r"^result\.popular\.yes: missing"):
        announcement(broken)
    with pytest.raises(ReportError, match=r"^result\.kind"):
        announcement({**result, "kind": "vote"})


# --------------------------------------------------------------------------------------------------- HTML


def _images(html: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)]


def test_html_certificate_contents() -> None:
    locals_, ev = iatse_basic()
    ev["threshold"] = 0.75
    result = build(locals_, ev, union="IATSE", kind="ratification")
    html = render_report_html(result, verification=CHECKS)

    assert html.startswith("<!DOCTYPE html>")
    assert "<title>2017 strike authorization — IATSE: results certificate</title>" in html
    assert result["announcement"].replace("'", "&#39;") in html
    assert "Agreement ratified" in html
    # Per-local rows and totals.
    row = re.search(r"<tr>\s*<td>A0</td>\s*<td>Local A0</td>(.*?)</tr>", html, re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    assert cells == ["6,000", "4,000", "1,659", "2,341", "41.5%", "66.7%", "no", "0 of 40"]
    assert "<td>F7</td>" in html
    assert html.count("<td>Local ") == 13
    assert "26,400" in html and "49.6%" in html and "256 of 444" in html
    # Rule and its trace (escaped).
    assert "iatse-constitution" in html
    assert "<li>outcome &lt;computed&gt;</li>" in html
    assert "Yes share required: 75%." in html
    # Two embedded PNG charts.
    images = _images(html)
    assert len(images) == 2
    assert all(img.startswith(b"\x89PNG\r\n\x1a\n") for img in images)
    # Verification checks, elections, how to verify.
    assert "archive W: event chain" in html
    assert "rule &lt;re-evaluated&gt;" in html
    assert "expected passed &amp; got failed" in html
    assert "1 of 3 checks failed." in html
    assert "✗ FAILED" in html and "✓ passed" in html
    for x in locals_:
        assert x["election_uuid"] in html and x["election_fingerprint"] in html
    assert "strikevote verify DIR" in html
    assert "belenios-tool election verify --dir check/A0" in html
    assert "cp DIR/locals/A0.bel check/A0/uuid-A0.bel" in html


def test_html_escapes_union_and_names() -> None:
    locals_, ev = wga()
    locals_[0]["name"] = "<img src=x onerror=alert(1)>"
    result = build(locals_, ev, union="<script>alert('union')</script> Guild")
    html = render_report_html(result, verification=[("<b>check</b>", True, "<i>fine</i>")])
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;union&#39;)&lt;/script&gt; Guild" in html
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;b&gt;check&lt;/b&gt;" in html and "&lt;i&gt;fine&lt;/i&gt;" in html
    assert "All 1 checks passed." in html


def test_html_without_checks_says_so() -> None:
    locals_, ev = wga()
    html = render_report_html(build(locals_, ev), verification=[])
    assert "No verification checks were recorded" in html
    assert len(_images(html)) == 2


def test_html_rejects_malformed_verification() -> None:
    locals_, ev = wga()
    result = build(locals_, ev)
    with pytest.raises(ReportError, match=r"^verification\[0\]"):
        render_report_html(result, verification=[("name", "yes", "detail")])  # type: ignore[list-item]
    with pytest.raises(ReportError, match=r"^verification\[0\]"):
        render_report_html(result, verification=[("name", True)])  # type: ignore[list-item]


def test_html_is_reproducible() -> None:
    locals_, ev = iatse_basic()
    result = build(locals_, ev, union="IATSE", kind="ratification")
    assert render_report_html(result, verification=CHECKS) == render_report_html(result, verification=CHECKS)


def test_html_rejects_malformed_result() -> None:
    locals_, ev = wga()
    result = build(locals_, ev)
    broken = copy.deepcopy(result)
    broken["popular"]["no"] = -1
    with pytest.raises(ReportError, match=r"^result\.popular\.no"):
        render_report_html(broken, verification=[])
    broken = copy.deepcopy(result)
    del broken["locals"][0]["ballots"]
    with pytest.raises(ReportError, match=r"^result\.locals\[0\]\.ballots: missing"):
        render_report_html(broken, verification=[])


def test_html_chart_labels_with_dollar_signs_render() -> None:
    locals_ = [local("$1$", 5, 1, 10), local("$$", 1, 5, 10)]
    ev = evaluation(locals_, passed=True, popular_passed=True, in_favor={"$1$": True, "$$": False})
    html = render_report_html(build(locals_, ev), verification=[])
    assert len(_images(html)) == 2


# -------------------------------------------------------------------------------------------------- files


def test_write_report(tmp_path: Path) -> None:
    locals_, ev = wga()
    result = build(locals_, ev, union="Sindicato Único de Guionistas")
    out = tmp_path / "bundle" / "nested"
    write_report(out, result, CHECKS)

    text = (out / "result.json").read_text(encoding="utf-8")
    assert text.endswith("}\n")
    assert text == json.dumps(result, indent=2, ensure_ascii=False) + "\n"
    assert "Sindicato Único" in text  # not \u00da
    assert text.startswith(
        '{\n  "format": "strikevote-result/2",\n  "simulation": false,'
    )  # insertion order, not sorted
    assert json.loads(text) == result
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Sindicato Único de Guionistas" in html
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "result.json"]


def test_write_report_writes_nothing_on_bad_input(tmp_path: Path) -> None:
    locals_, ev = wga()
    result = build(locals_, ev)
    with pytest.raises(ReportError):
        write_report(tmp_path / "out", result, [("x",)])  # type: ignore[list-item]
    assert not (tmp_path / "out").exists()


def test_import_does_not_load_matplotlib_or_jinja2() -> None:
    code = "import sys, strikevote.report; print('matplotlib' in sys.modules, 'jinja2' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


# --------------------------------------------------------------------- threshold from the rule, real path


def _real_result(rule_name: str, counts: Sequence[tuple[str, int, int, int, int]]) -> dict[str, Any]:
    """The result of ``rule_name`` through the real path: rules engine → Evaluation.to_json() → build_result."""
    from strikevote.rules import LocalCount, evaluate, load_rule

    lcs = [LocalCount(i, f"Local {i}", d, e, y, n) for i, d, e, y, n in counts]
    ev = evaluate(load_rule(rule_name), lcs).to_json()
    locals_ = [local(lc.id, lc.yes, lc.no, lc.eligible, delegates=lc.delegates) for lc in lcs]
    return build(locals_, ev, union="IATSE")


_IATSE_LOCALS = [("600", 27, 100, 80, 10), ("700", 27, 100, 60, 30), ("44", 20, 50, 30, 10)]


def test_iatse_constitution_chart_draws_the_75_percent_per_local_threshold() -> None:
    from strikevote.report.charts import chart_threshold

    result = _real_result("iatse-constitution", _IATSE_LOCALS)
    assert result["rule"]["threshold"] == 0.75
    assert chart_threshold(result) == 0.75
    html = render_report_html(result, verification=[])
    caption = re.search(r'<figcaption id="yes-share-caption">(.*?)</figcaption>', html, re.S)
    assert caption is not None
    assert " ".join(caption.group(1).split()).endswith("Dashed line: 75% threshold.")
    assert "dashed line at the rule's threshold of 75%" in html
    assert "50% threshold" not in html
    # 600 (88.9%) meets 75%, 700 (66.7%) and 44 (75%) too: the colours and the line agree
    assert [x["in_favor"] for x in result["locals"]] == [True, False, True]


@pytest.mark.parametrize(
    ("rule", "expected"), [("sag-aftra", 0.75), ("uaw", 2 / 3), ("iatse-ratification", 0.5)]
)
def test_chart_threshold_follows_the_rule(rule: str, expected: float) -> None:
    from strikevote.report.charts import chart_threshold

    assert chart_threshold(_real_result(rule, _IATSE_LOCALS)) == expected


def test_rule_without_a_single_threshold_says_so_instead_of_drawing_50_percent() -> None:
    from strikevote.report.charts import chart_threshold

    result = _real_result("teamsters-pre-2021", _IATSE_LOCALS)
    assert "threshold" not in result["rule"]
    assert chart_threshold(result) is None
    html = render_report_html(result, verification=[])
    assert "Dashed line" not in html and "Yes share required" not in html
    assert "this rule has no single yes-share threshold" in " ".join(html.split())
    assert len(_images(html)) == 2
