"""The results certificate states what a reader needs (issue 10): the question per local, the voting window in
the vote's time zone and an early close, the notice, the trustees, the exclusions by local and reason, the rule
with what decided it, a delegate vote only under a delegate rule, SIMULATION for a simulated vote, US spelling,
and a short "What was verified" with the details folded."""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from records_kit import result_of as record_of
from records_kit import vote_record

from strikevote.records.result import ResultRecord
from strikevote.records.vote import Exclusions
from strikevote.report import render_report_html
from strikevote.rules import LocalCount, evaluate, load_rule
from strikevote.rules.presets import PRESETS

# IATSE 2021 Basic Agreement shape: 8 big-delegation locals in favor, 5 against (DOMAIN.md §1).
IATSE = [LocalCount(f"F{i}", f"Local F{i}", 32, 1000, 600, 200) for i in range(8)] + [
    LocalCount(f"A{i}", f"Local A{i}", d, 6000, 1659, 2341) for i, d in enumerate([40, 40, 36, 36, 36])
]
WGA = [LocalCount("wgaw", "WGA West", 1, 6700, 4500, 150), LocalCount("wgae", "WGA East", 1, 2648, 1577, 83)]
BRITISH = re.compile(r"favour|authoris|colour|behaviour|organis|recognis|labour|honour|cancell", re.I)


def result_of(counts: list[LocalCount], rule: str, **kw: Any) -> ResultRecord:
    kw.setdefault("union", "International Alliance of Theatrical Stage Employees")
    return record_of(counts, rule, **kw)


def html_of(
    result: ResultRecord, counts: list[LocalCount] | None = None, checks: Any = (), **vote: Any
) -> str:
    """The certificate of ``result``, with the vote record of ``counts`` (changed by ``vote``) if given."""
    record = vote_record(counts, **vote) if counts is not None else None
    return render_report_html(result, verification=list(checks), vote=record)


def text(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</(?:div|dd|p|ul|table)>', html, re.S)
    assert match is not None, element_id
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def test_delegate_rule_announces_the_delegate_vote_and_the_banner_names_it() -> None:
    result = result_of(IATSE, "iatse-constitution", kind="ratification")
    assert result.rule.decided_by == ("delegates",)
    assert (result.delegates.yes, result.delegates.no) == (256, 188)
    assert "ratified by 256–188 delegate votes, 8 of 13 locals in favor" in result.announcement
    html = html_of(result, IATSE)
    assert text(html, "decided-by").startswith(
        "Decided by the delegate vote, under the rule iatse-constitution:"
    )
    assert "256 yes, 188 no of 444 (8 of 13 locals in favor) — carried" in text(html, "banner-delegates")
    assert '<th class="num">Delegates</th>' in html


def test_delegate_rule_agreeing_with_the_members_still_gives_the_delegate_vote() -> None:
    counts = [LocalCount(f"L{i}", f"Local {i}", 10 + i, 100, 90, 5) for i in range(3)]
    result = result_of(counts, "iatse-constitution")
    assert result.announcement.endswith(
        "Under the union's rule the delegate vote decides: 33–0 delegate votes, 3 of 3 locals in favor."
    )


def test_simple_majority_has_no_delegate_line() -> None:
    result = result_of(WGA, "simple-majority", union="Writers Guild of America")
    assert result.rule.decided_by == ("members",)
    assert "delegate" not in result.announcement
    html = html_of(result, WGA)
    assert text(html, "decided-by").startswith("Decided by the members' vote, under the rule simple-majority")
    assert 'id="banner-delegates"' not in html and "Delegate vote" not in html
    assert "<th>Delegates</th>" not in html and '<th class="num">Delegates</th>' not in html


def test_a_rule_of_members_and_locals_names_both() -> None:
    result = result_of(IATSE, "articles-iatse")
    assert result.rule.decided_by == ("members", "locals")
    html = html_of(result)
    assert "Decided by the members&#39; vote and the count of locals in favor" in html


def test_the_vote_facts_in_the_votes_time_zone() -> None:
    closed_at = datetime(2021, 10, 2, 16, 30, tzinfo=UTC)
    html = html_of(result_of(IATSE, "iatse-constitution", closed_at=closed_at), IATSE)
    assert text(html, "opened") == "October 1, 2021, 9:00 AM EDT"
    assert text(html, "closed") == (
        "October 2, 2021, 12:30 PM EDT — closed early : it was scheduled to close October 3, 2021, 11:59 PM EDT"
    )
    assert "(closed early)" in html  # in the header too
    assert text(html, "notice") == "September 15, 2021 (16 days before voting opened)"
    assert text(html, "trustees") == "Ana, Ben, Cleo: any 2 of the 3 together decrypt the tallies"
    assert text(html, "question") == "Do you authorize a strike?"
    assert 'id="questions"' not in html  # one question for all: said once


def test_closed_on_time_is_not_early_and_no_notice_is_said() -> None:
    result = result_of(WGA, "simple-majority", closed_at=datetime(2021, 10, 4, 3, 59, tzinfo=UTC))
    html = html_of(result, WGA, notice=None)
    assert "closed early" not in html
    assert text(html, "notice") == "no notice date was recorded"


def test_a_question_per_local() -> None:
    record = vote_record(WGA)
    first, second = record.terms.locals
    terms = replace(record.terms, locals=(first, replace(second, question="¿Autoriza usted una huelga?")))
    html = render_report_html(
        result_of(WGA, "simple-majority"), verification=[], vote=replace(record, terms=terms)
    )
    rows = re.findall(r"<tr><td>(\w+)</td><td>[^<]*</td><td>([^<]*)</td></tr>", html)
    assert rows == [("wgaw", "Do you authorize a strike?"), ("wgae", "¿Autoriza usted una huelga?")]
    assert 'id="question"' not in html


def test_exclusions_by_local_and_reason() -> None:
    record = vote_record(WGA)
    first, second = record.elections or ()
    record = replace(record, elections=(first, replace(second, excluded=Exclusions(7, (0, 5, 4)))))
    html = render_report_html(result_of(WGA, "simple-majority"), verification=[], vote=record)
    table = re.search(r'<table id="exclusions">(.*?)</table>', html, re.S)
    assert table is not None
    rows = [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)[1:]
    ]
    assert rows == [
        ["wgaw", "WGA West", "6,703", "6,700", "3", "1", "2", "1"],
        ["wgae", "WGA East", "2,655", "2,648", "7", "0", "5", "4"],
        ["Total", "9,358", "9,348", "10", "1", "7", "5"],
    ]
    assert "Not in good standing" in html and "Dues in arrears" in html and "No registered email" in html


def test_a_vote_json_without_exclusions_has_no_exclusion_table() -> None:
    html = html_of(result_of(WGA, "simple-majority"), WGA, excluded=None)
    assert 'id="the-vote"' in html and '<table id="exclusions">' not in html


def test_without_vote_json_the_certificate_still_renders_the_result() -> None:
    html = html_of(result_of(WGA, "simple-majority"))
    assert 'id="the-vote"' not in html and "Decided by the members" in html


def test_simulation_is_said_everywhere() -> None:
    result = result_of(WGA, "simple-majority", simulation=True, union="Writers Guild of America")
    assert result.simulation is True and result_of(WGA, "simple-majority").simulation is False
    assert result.announcement.startswith("SIMULATION (not a real vote): Members of the Writers Guild")
    html = html_of(result, WGA, simulation=True)
    assert "<title>SIMULATION: " in html and 'id="simulation"' in html
    assert "SIMULATION: Strike authorized" in html
    assert 'id="simulation"' not in html_of(result_of(WGA, "simple-majority"))


def test_what_was_verified_is_a_summary_with_the_checks_folded() -> None:
    checks = [
        ("44/archive.event-chain", True, "chain"),
        ("80/archive.event-chain", True, "chain"),
        ("80/ballot.all", False, "ballot 3: bad proof"),
        ("bundle.definition", True, "ok"),
        ("result.field", True, "equal"),
    ]
    html = html_of(result_of(WGA, "simple-majority"), checks=checks)
    summary = text(html, "verified-summary")
    assert "Each local's Belenios archive (2 locals)" in summary and "2 passed, 1 FAILED" in summary
    assert "✗ 80/ballot.all: ballot 3: bad proof" in summary
    assert "The bundle" in summary and "The result" in summary
    details = re.search(r'<details id="checks-details">(.*?)</details>', html, re.S)
    assert details is not None and '<table id="checks">' in details.group(1)
    assert details.group(1).count("<tr>") == 1 + len(checks)  # header + one row per check


def test_us_spelling_in_every_string_the_reader_sees() -> None:
    for name in PRESETS:
        counts = IATSE if name != "simple-majority" else WGA
        result = result_of(counts, name)
        html = html_of(result, counts)
        seen = [result.announcement, result.rule.description, *result.rule.trace, html]
        for piece in seen:
            assert not BRITISH.search(piece), (name, BRITISH.search(piece))
    sources = Path(__file__).parents[2] / "src" / "strikevote"
    for path in [*sources.glob("rules/*.py"), *sources.glob("report/**/*.*"), *sources.glob("cli/*.py")]:
        if path.suffix in (".py", ".j2"):
            source = path.read_text(encoding="utf-8").replace(
                '"locals_in_favour"', ""
            )  # the old key, accepted
            assert not BRITISH.search(source), path


def test_the_old_spelling_of_the_locals_block_still_loads() -> None:
    old = load_rule({"all": [{"popular": ">= 3/4"}, {"locals_in_favour": "majority"}]})
    new = load_rule({"all": [{"popular": ">= 3/4"}, {"locals_in_favor": "majority"}]})
    assert evaluate(old, IATSE).to_json() == evaluate(new, IATSE).to_json()
    from strikevote.rules import RuleError

    with pytest.raises(RuleError, match="given twice"):
        load_rule({"locals_in_favour": "majority", "locals_in_favor": "majority"})
