"""strikevote.records.announcement: the result in the press's sentences, for results made the real way (rules
engine → build_result), under presets and inline rules that decide in each of the ways the text tells apart."""

from __future__ import annotations

from typing import Any

from records_kit import result_of

from strikevote.records.announcement import announcement, union_phrase
from strikevote.records.result import ResultRecord
from strikevote.rules import LocalCount

# IATSE Basic Agreement 2021 shape: 49.6% popular, 8 of 13 locals, delegates 256 to 188.
IATSE = [LocalCount(f"F{i}", f"Local F{i}", 32, 1000, 600, 200) for i in range(8)] + [
    LocalCount(f"A{i}", f"Local A{i}", d, 6000, y, 4000 - y)
    for i, (y, d) in enumerate(zip([1659, 1659, 1659, 1659, 1658], [40, 40, 36, 36, 36], strict=True))
]
DELEGATE_RULE = {
    "delegates": "majority",
    "local": ">= 3/4",
    "description": "each local's delegate block votes with its members; a majority of delegates decides",
}


def one(yes: int, no: int, eligible: int) -> list[LocalCount]:
    return [LocalCount("WGA", "WGA", 0, eligible, yes, no)]


def said(counts: list[LocalCount], rule: Any = "simple-majority", **vote: Any) -> str:
    result = result_of(counts, rule, **vote)
    assert result.announcement == announcement(result)
    return result.announcement


def test_union_phrase() -> None:
    assert union_phrase("Writers Guild of America") == "the Writers Guild of America"
    assert union_phrase("The Writers Guild of America") == "the Writers Guild of America"
    assert (
        union_phrase("International Brotherhood of Teamsters") == "the International Brotherhood of Teamsters"
    )
    assert union_phrase("SAG-AFTRA") == "SAG-AFTRA"
    assert union_phrase("IATSE") == "IATSE"


def test_wga_2017_press_sentence() -> None:
    assert said(one(6077, 233, 9348)) == (
        "Members of the Writers Guild of America have voted to authorize a strike. "
        "96.3% of the 6,310 members who cast ballots voted in favor; 67.5% of eligible members voted."
    )


def test_failed_strike_authorization() -> None:
    assert said(one(1200, 1800, 4000), union="SAG-AFTRA") == (
        "Members of SAG-AFTRA have voted against authorizing a strike. "
        "40.0% of the 3,000 members who cast ballots voted in favor; 75.0% of eligible members voted."
    )


def test_ratified_and_rejected() -> None:
    assert said(one(751, 249, 2000), kind="ratification").startswith(
        "Members of the Writers Guild of America have ratified the tentative agreement. 75.1% of the 1,000"
    )
    assert said(one(300, 700, 2000), kind="ratification") == (
        "Members of the Writers Guild of America have rejected the tentative agreement. "
        "30.0% of the 1,000 members who cast ballots voted in favor; 50.0% of eligible members voted."
    )


def test_one_ballot_is_singular() -> None:
    assert "100.0% of the 1 member who cast a ballot voted in favor" in said(one(1, 0, 3))


def test_majority_short_of_a_supermajority() -> None:
    rule = {"popular": ">= 3/4", "description": "at least 75% of votes cast in favor"}
    assert said(one(7000, 3000, 12000), rule, union="SAG-AFTRA") == (
        "Although 70.0% of members of SAG-AFTRA voted in favor, the strike authorization was rejected "
        "under the union's rule. In all, 10,000 members cast ballots; 83.3% of eligible members voted. "
        "The rule: at least 75% of votes cast in favor."
    )


def test_delegate_vote_overrides_the_popular_vote() -> None:
    result = result_of(
        IATSE,
        DELEGATE_RULE,
        union="International Alliance of Theatrical Stage Employees",
        kind="ratification",
    )
    assert result.popular.ballots == 26400 and result.popular.passed is False
    assert (result.delegates.yes, result.delegates.no, result.delegates.total) == (256, 188, 444)
    assert result.announcement == (
        "Although 49.6% of members of the International Alliance of Theatrical Stage Employees voted in "
        "favor, "
        "the tentative agreement was ratified by 256–188 delegate votes, 8 of 13 locals in favor. "
        "In all, 26,400 members cast ballots; 69.5% of eligible members voted. "
        "The rule: each local's delegate block votes with its members; a majority of delegates decides."
    )


def test_delegate_vote_rejects_despite_a_popular_majority() -> None:
    # Every local flipped: 50.4% of members in favor, but the 188 delegates of the big locals are the minority.
    flipped = [LocalCount(c.id, c.name, c.delegates, c.eligible, c.no, c.yes) for c in IATSE]
    rule = {"delegates": "majority", "description": "a majority of delegate votes"}
    assert said(flipped, rule, union="IATSE", kind="ratification").startswith(
        "Although 50.4% of members of IATSE voted in favor, the tentative agreement was rejected "
        "by 256–188 delegate votes against, 5 of 13 locals in favor."
    )


def test_counts_locals_when_the_rule_does() -> None:
    counts = [LocalCount(str(i), f"Local {i}", 0, 150, 90, 10) for i in range(12)]
    counts.append(LocalCount("12", "Local 12", 0, 150, 40, 60))
    result = result_of(counts, "articles-iatse", union="IATSE")
    assert result.rule.counts_locals is True
    assert result.announcement == (
        "Members of IATSE have voted to authorize a strike. 86.2% of the 1,300 members who cast ballots "
        "voted in favor and 12 of 13 locals voted in favor; 66.7% of eligible members voted."
    )


def test_omits_locals_when_the_rule_does_not_count_them() -> None:
    counts = [LocalCount("W", "W", 0, 6700, 4500, 150), LocalCount("E", "E", 0, 2648, 1577, 83)]
    result = result_of(counts)
    assert result.rule.counts_locals is False
    assert "locals voted" not in result.announcement


def test_notes_delegates_that_did_not_decide() -> None:
    counts = [LocalCount("big", "big", 10, 1000, 900, 100), LocalCount("s1", "s1", 20, 100, 40, 60)]
    either = {
        "any": [{"popular": ">= 3/4"}, {"delegates": "majority"}],
        "description": "at least 75% of ballots",
    }
    assert said(counts, either, union="IATSE").endswith(
        "voted in favor; 100.0% of eligible members voted. Delegates voted 10 in favor and 20 against, "
        "but the delegate vote does not decide the outcome under this rule. "
        "The rule: at least 75% of ballots."
    )
    # A rule that does not weigh delegates does not mention them.
    quiet = said(counts, {"popular": ">= 3/4", "description": "at least 75% of ballots"}, union="IATSE")
    assert "elegate" not in quiet and "The rule" not in quiet


def test_outcome_by_a_rule_other_than_the_popular_share() -> None:
    counts = [LocalCount("a", "a", 0, 100, 70, 30), LocalCount("b", "b", 0, 100, 70, 30)]
    counts.append(LocalCount("c", "c", 0, 100, 20, 80))
    rule = {
        "any": [{"popular": ">= 3/4"}, {"locals_in_favor": "majority"}],
        "local": "> 1/2",
        "description": "a majority of locals in favor",
    }
    assert said(counts, rule, union="IATSE") == (
        "Members of IATSE have voted to authorize a strike. 53.3% of the 300 members who cast ballots voted "
        "in favor and 2 of 3 locals voted in favor; 100.0% of eligible members voted. "
        "The members' vote alone fell short, but the strike was authorized under the union's rule. "
        "The rule: a majority of locals in favor."
    )


def test_delegate_rule_agreeing_with_the_members_gives_the_delegate_vote() -> None:
    counts = [LocalCount(f"L{i}", f"Local {i}", 10 + i, 100, 90, 5) for i in range(3)]
    assert said(counts, "iatse-constitution").endswith(
        "Under the union's rule the delegate vote decides: 33–0 delegate votes, 3 of 3 locals in favor."
    )


def test_no_ballots() -> None:
    assert said(one(0, 0, 120)) == (
        "No ballots were cast by the 120 eligible members of the Writers Guild of America; "
        "the strike authorization was rejected."
    )


def test_a_simulation_says_so_first() -> None:
    result: ResultRecord = result_of(one(0, 0, 120), simulation=True)
    assert result.announcement.startswith("SIMULATION (not a real vote): No ballots were cast")
    assert said(one(6077, 233, 9348), simulation=True).startswith("SIMULATION (not a real vote): Members of")
