"""The vote definition and demo scenario files: valid files load, every bad key is named."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from strikevote.demo.scenario import load_scenario, parse_scenario
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
    ],
)
def test_bad_definitions_name_the_key(tmp_path: Path, edit, message: str) -> None:
    path = tmp_path / "vote.toml"
    path.write_text(edit(VALID))
    with pytest.raises(DefinitionError) as exc:
        load_definition(path)
    assert message in str(exc.value)
    assert str(path) in str(exc.value)


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
    wga = load_scenario(preset="wga-2017")
    ballots = sum(x.yes + x.no for x in wga.locals)
    eligible = sum(x.eligible for x in wga.locals)
    yes = sum(x.yes for x in wga.locals)
    assert ballots == 6310
    assert round(100 * yes / ballots, 1) == 96.3
    assert round(100 * ballots / eligible, 1) == 67.5
    iatse = load_scenario(preset="iatse-2021")
    assert len(iatse.locals) == 13
    assert iatse.rule == "iatse-constitution"


def test_scaling_keeps_proportions() -> None:
    s = load_scenario(preset="iatse-2021").scaled(60_000)
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


def test_unknown_preset() -> None:
    with pytest.raises(DefinitionError, match="unknown demo preset"):
        load_scenario(preset="nope")
