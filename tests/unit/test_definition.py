"""The vote definition and demo scenario files: valid files load, every bad key is named."""

from __future__ import annotations

import dataclasses
import tomllib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from strikevote.demo.scenario import load_scenario, parse_scenario
from strikevote.roll import GOOD_STANDING_STATUSES, ExclusionReason, Member, freeze_snapshot
from strikevote.services.definition import VoteDefinition, load_definition, parse_definition
from strikevote.services.errors import DefinitionError

VALID = """
union = "Writers Guild of America"
title = "Strike authorization"
question = "Do you authorize a strike?"
rule = "articles-iatse"
notice = 2023-04-01
revote = "last-counts"

[window]
opens = 2023-04-11T09:00:00
closes = 2023-04-17T23:59:00
timezone = "America/Los_Angeles"

[trustees]
n = 3
k = 2

[eligibility]
cutoff = 2023-03-31
grace_days = 30

[[locals]]
id = "wgaw"
name = "WGA West"
delegates = 3

[[locals]]
id = 44
name = "Local 44"
question = "Do you authorize a strike at your studio?"
"""


def test_valid_definition_loads_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "vote.toml"
    path.write_text(VALID)
    d = load_definition(path)
    assert d.union == "Writers Guild of America"
    assert d.revote == "last-counts"
    assert (d.trustees_n, d.trustees_k) == (3, 2)
    assert [x.id for x in d.locals] == ["wgaw", "44"]
    assert d.local("44").question.endswith("at your studio?")
    assert d.local("wgaw").question == "Do you authorize a strike?"
    assert d.opens.tzinfo is not None and d.opens.utcoffset() is not None
    assert d.eligibility.grace_days == 30
    # opens 10 days after notice: the 15-day notice warning
    assert any("after notice" in w for w in d.warnings)
    again = VoteDefinition.from_json(d.to_json())
    assert again.to_json() == d.to_json()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t + '\ncolour = "red"\n', "unknown key 'colour'"),
        (lambda t: t.replace('revote = "last-counts"', 'revote = "first"'), "'revote' must be one of"),
        (lambda t: t.replace('rule = "articles-iatse"', 'rule = "no-such-rule"'), "rule"),
        (lambda t: t.replace("k = 2", "k = 4"), "1 <= k <= n"),
        (lambda t: t.replace('timezone = "America/Los_Angeles"', 'timezone = "Mars/Olympus"'), "time zone"),
        (
            lambda t: t.replace("closes = 2023-04-17T23:59:00", "closes = 2023-04-01T00:00:00"),
            "'closes' must be after",
        ),
        (lambda t: t.replace("grace_days = 30", "grace_days = -1"), "grace_days"),
        (lambda t: t.replace("id = 44", 'id = "wgaw"'), "duplicate local id"),
        (lambda t: t.replace("delegates = 3", 'delegates = "three"'), "'delegates'"),
        (lambda t: t.replace('name = "WGA West"\n', 'name = "WGA West"\nsize = 3\n'), "unknown key 'size'"),
        (lambda t: t.replace('union = "Writers Guild of America"\n', ""), "missing key 'union'"),
        (
            lambda t: t.replace(
                "grace_days = 30", 'grace_days = 30\ngood_standing = ["active", "honourable"]'
            ),
            "[eligibility] 'good_standing': unknown status 'honourable' (known: active, expelled,",
        ),
        (
            lambda t: t.replace("grace_days = 30", "grace_days = 30\ngood_standing = []"),
            "[eligibility] 'good_standing' must be a non-empty list",
        ),
        (
            lambda t: t.replace("grace_days = 30", 'grace_days = 30\ngood_standing = "active"'),
            "[eligibility] 'good_standing' must be a non-empty list",
        ),
        (
            lambda t: t.replace("grace_days = 30", "grace_days = 30\ngood_standing = [1]"),
            "[eligibility] 'good_standing' must list statuses as strings, got 1",
        ),
    ],
)
def test_bad_definitions_name_the_key(tmp_path: Path, edit, message: str) -> None:
    path = tmp_path / "vote.toml"
    path.write_text(edit(VALID))
    with pytest.raises(DefinitionError) as exc:
        load_definition(path)
    assert message in str(exc.value)
    assert str(path) in str(exc.value)


def test_good_standing_statuses_are_set_per_vote(tmp_path: Path) -> None:
    path = tmp_path / "vote.toml"
    path.write_text(
        VALID.replace("grace_days = 30", 'grace_days = 30\ngood_standing = ["Good Standing", "retired"]')
    )
    d = load_definition(path)
    assert d.eligibility.good_standing_statuses == {"good-standing", "retired"}
    retiree = Member("600-1", "Rosa Santos", "rosa@example.org", "wgaw", "retired", date(2023, 3, 31), False)
    active = dataclasses.replace(retiree, member_id="600-2", status="active")
    snapshot = freeze_snapshot([retiree, active], d.eligibility, datetime(2023, 4, 1, tzinfo=UTC))
    assert [m.member_id for m in snapshot.eligible] == ["600-1"]
    assert [(e.member.member_id, e.reasons) for e in snapshot.excluded] == [
        ("600-2", (ExclusionReason.NOT_IN_GOOD_STANDING,))
    ]
    # stored with the vote and read back unchanged
    again = VoteDefinition.from_json(d.to_json())
    assert again.eligibility == d.eligibility
    assert d.to_json()["eligibility"]["good_standing"] == ["good-standing", "retired"]


def test_good_standing_defaults_to_active_and_good_standing(tmp_path: Path) -> None:
    d = parse_definition(tomllib.loads(VALID), "vote.toml")
    assert d.eligibility.good_standing_statuses == GOOD_STANDING_STATUSES == {"active", "good-standing"}
    stored = d.to_json()
    del stored["eligibility"]["good_standing"]  # a vote stored before the key existed
    assert VoteDefinition.from_json(stored).eligibility == d.eligibility


def test_missing_notice_is_a_warning_not_an_error() -> None:
    data = tomllib.loads(VALID)
    del data["notice"]
    d = parse_definition(data, "vote.toml")
    assert d.notice is None
    assert d.warnings == ("no notice date: the 15-day notice check was not made",)
    assert VoteDefinition.from_json(d.to_json()).warnings == d.warnings


def test_enough_notice_gives_no_warning() -> None:
    data = tomllib.loads(VALID.replace("notice = 2023-04-01", "notice = 2023-03-27"))
    assert parse_definition(data, "vote.toml").warnings == ()


def test_invalid_toml_is_a_definition_error(tmp_path: Path) -> None:
    path = tmp_path / "vote.toml"
    path.write_text("union = \n")
    with pytest.raises(DefinitionError, match="invalid TOML"):
        load_definition(path)


def test_parse_definition_requires_window() -> None:
    data = tomllib.loads(VALID)
    del data["window"]
    with pytest.raises(DefinitionError, match="missing key 'window'"):
        parse_definition(data, "vote.toml")


def test_presets_load_and_match_the_press_figures() -> None:
    wga = load_scenario(name="wga-2017")
    ballots = sum(x.yes + x.no for x in wga.locals)
    eligible = sum(x.eligible for x in wga.locals)
    yes = sum(x.yes for x in wga.locals)
    assert ballots == 6310
    assert round(100 * yes / ballots, 1) == 96.3
    assert round(100 * ballots / eligible, 1) == 67.5
    iatse = load_scenario(name="iatse-2021")
    assert len(iatse.locals) == 13
    assert iatse.rule == "iatse-constitution"


def test_scaling_keeps_proportions() -> None:
    s = load_scenario(name="iatse-2021").scaled(60_000)
    assert len(s.locals) == 13
    assert abs(s.members - 60_000) < 60
    for loc in s.locals:
        assert loc.yes + loc.no <= loc.eligible


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"union": "U", "question": "Q", "locals": []}, "at least one"),
        (
            {"union": "U", "question": "Q", "locals": [{"id": "a", "eligible": 3, "yes": 3, "no": 1}]},
            "exceeds",
        ),
        (
            {
                "union": "U",
                "question": "Q",
                "locals": [{"id": "a", "eligible": 3, "yes": 1, "no": 1, "x": 1}],
            },
            "'x'",
        ),
        (
            {"union": "U", "question": "Q", "locals": [{"id": "a", "eligible": -1, "yes": 0, "no": 0}]},
            "eligible",
        ),
        (
            {
                "union": "U",
                "question": "Q",
                "rule": "nope",
                "locals": [{"id": "a", "eligible": 1, "yes": 0, "no": 0}],
            },
            "rule",
        ),
        ({"question": "Q", "locals": [{"id": "a", "eligible": 1, "yes": 0, "no": 0}]}, "'union'"),
    ],
)
def test_bad_scenarios(data: dict, message: str) -> None:
    with pytest.raises(DefinitionError) as exc:
        parse_scenario(data, "scenario.toml")
    assert message in str(exc.value)
    assert "scenario.toml" in str(exc.value)


def test_unknown_scenario() -> None:
    with pytest.raises(DefinitionError, match="unknown demo scenario"):
        load_scenario(name="nope")
