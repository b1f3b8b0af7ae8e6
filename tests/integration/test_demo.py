"""``strikevote demo`` end to end, from the command line, on SQLite and PostgreSQL: the bundle holds exactly the
four public items and nothing private, ``strikevote verify`` accepts it, result.json agrees with the scenario,
the announcement is printed; the private files go to ``DIR.private`` and nowhere else."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from strikevote.cli.ballot_cmd import read_letter
from strikevote.cli.main import app
from strikevote.demo.scenario import load_scenario
from strikevote.trustee import keyfile

runner = CliRunner()

PUBLIC = {"vote.json", "locals", "result.json", "report.html"}

# id: (eligible, yes, no, no_email, in_arrears) — "56" has nobody voting
LOCALS = {"12": (150, 100, 30, 5, 3), "34": (90, 20, 50, 2, 0), "56": (40, 0, 0, 0, 1)}


def scenario_toml(
    locals_: dict[str, tuple[int, int, int, int, int]],
    *,
    union: str = "Demo Test Workers Union",
    rule: str = "simple-majority",
    kind: str = "strike-authorization",
) -> str:
    lines = [
        f'union = "{union}"',
        'title = "Test strike authorization vote"',
        f'kind = "{kind}"',
        'question = "Do you authorize a strike?"',
        f'rule = "{rule}"',
    ]
    for i, (lid, (eligible, yes, no, no_email, in_arrears)) in enumerate(locals_.items(), start=1):
        lines += [
            "",
            "[[locals]]",
            f'id = "{lid}"',
            f'name = "Local {lid}"',
            f"delegates = {i}",
            f"eligible = {eligible}",
            f"yes = {yes}",
            f"no = {no}",
            f"no_email = {no_email}",
            f"in_arrears = {in_arrears}",
        ]
    return "\n".join(lines) + "\n"


def sv(*args: object, code: int = 0) -> Result:
    result = runner.invoke(app, [str(a) for a in args])
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not crashed, f"{args} raised {result.exception!r}\n{result.output}"
    assert result.exit_code == code, f"{args} exited {result.exit_code}, not {code}:\n{result.output}"
    return result


def flat(text: str) -> str:
    """Console output with the terminal's line wrapping undone."""
    return " ".join(text.split())


def assert_public_bundle(out: Path, local_ids: set[str], private: Path) -> None:
    """``out`` holds the four public items and nothing else; no private byte of ``private`` is in it."""
    assert {x.name for x in out.iterdir()} == PUBLIC
    assert {x.name for x in (out / "locals").iterdir()} == {
        f"{lid}.{ext}" for lid in local_ids for ext in ("bel", "proofs.json")
    }
    assert all(x.is_file() for x in out.rglob("*") if x.name != "locals")
    published = b"".join(x.read_bytes() for x in out.rglob("*") if x.is_file())
    letters = sorted((private / "outbox").glob("*.eml"))
    for letter in letters:
        assert read_letter(letter).credential.encode() not in published, letter.name
    for key in (private / "trustees").glob("*.key"):
        passphrase = key.with_suffix(".passphrase").read_text().strip().encode()
        secrets = keyfile.open_key(key, passphrase, json.loads(key.read_text())["vote"])
        assert secrets.seed.encode() not in published, key.name
        assert secrets.seed.encode() not in key.read_bytes(), key.name  # the key file is encrypted
    emails = [row.split(",")[2] for row in (private / "roll.csv").read_text().splitlines()[1:]]
    assert [e for e in emails if e and e.encode() in published] == []


def check_result(result: dict[str, Any], plan: dict[str, tuple[int, int, int, int, int]]) -> None:
    by_id = {x["id"]: x for x in result["locals"]}
    assert set(by_id) == set(plan)
    for lid, (eligible, yes, no, _, _) in plan.items():
        loc = by_id[lid]
        assert (loc["eligible"], loc["ballots"], loc["yes"], loc["no"]) == (eligible, yes + no, yes, no), lid
        assert loc["turnout"] == pytest.approx((yes + no) / eligible, abs=1e-6), lid
    yes = sum(p[1] for p in plan.values())
    no = sum(p[2] for p in plan.values())
    assert (result["popular"]["yes"], result["popular"]["no"]) == (yes, no)
    assert result["popular"]["eligible"] == sum(p[0] for p in plan.values())


def test_demo_end_to_end(db_url: str, tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(scenario_toml(LOCALS))
    out = tmp_path / "bundle"
    r = sv("demo", "--scenario", scenario, "--db", db_url, "--out", out, "--seed", 11)

    private = tmp_path / "bundle.private"
    assert_public_bundle(out, set(LOCALS), private)
    # the private material, all of it, in the private directory
    assert private.stat().st_mode & 0o777 == 0o700
    assert sorted(x.name for x in (private / "trustees").iterdir()) == [
        f"trustee-{i}.{ext}" for i in (1, 2, 3) for ext in ("key", "passphrase")
    ]
    assert all(x.stat().st_mode & 0o777 == 0o600 for x in (private / "trustees").iterdir())
    assert len(list((private / "outbox").glob("*.eml"))) == sum(p[0] for p in LOCALS.values())
    assert (private / "roll.csv").is_file() and (private / "PRIVATE-README.txt").is_file()
    assert not (private / "strikevote.db").exists()  # --db given: no SQLite file of the demo's own

    result = json.loads((out / "result.json").read_text())
    check_result(result, LOCALS)
    assert result["passed"] is True and result["rule"]["name"]  # 120 yes, 80 no: a simple majority
    assert result["popular"]["ballots"] == 200
    printed = flat(r.stdout)
    assert flat(result["announcement"]) in printed
    assert result["announcement"].startswith(
        "SIMULATION (not a real vote): Members of the Demo Test Workers Union have voted to authorize"
    )
    assert "Independent verification: VALID" in printed
    assert f"Bundle (public): {out} " in printed and f"Private, never publish: {private} " in printed

    v = sv("verify", out, "-q", "-j", 2)
    assert "VALID" in v.stdout


def test_rerun_replaces_a_previous_demo_and_refuses_anything_else(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.toml"
    out, private = tmp_path / "out", tmp_path / "secret"
    scenario.write_text(scenario_toml({"a": (6, 4, 1, 1, 0), "b": (5, 1, 3, 0, 0)}))
    sv("demo", "--scenario", scenario, "--out", out, "--private", private, "--seed", 1)
    assert (private / "strikevote.db").is_file()  # the default database: private too
    assert not (tmp_path / "out.private").exists()
    # again, smaller, rejected: nothing of the first run is left in either directory
    plan = {"c": (4, 1, 2, 0, 1)}
    scenario.write_text(scenario_toml(plan, kind="ratification", rule="uaw"))
    r = sv("demo", "--scenario", scenario, "--out", out, "--private", private, "--seed", 2)
    assert_public_bundle(out, {"c"}, private)
    assert len(list((private / "outbox").glob("*.eml"))) == 4
    result = json.loads((out / "result.json").read_text())
    check_result(result, plan)
    assert result["passed"] is False and flat(result["announcement"]) in flat(r.stdout)
    sv("verify", out, "-q", "-j", 1)

    # refused, with one line and exit 2, before anything is written or deleted
    def refused(*args: object, says: str) -> None:
        r = sv("demo", "--scenario", scenario, *args, code=2)
        assert r.stderr.startswith("strikevote demo: ") and says in r.stderr, r.stderr

    refused("--out", out, "--private", out / "private", says="neither inside the other")
    refused("--out", private / "bundle", "--private", private, says="neither inside the other")
    (out / "notes.txt").write_text("mine")
    refused("--out", out, "--private", private, says="holds notes.txt")
    assert (out / "notes.txt").read_text() == "mine" and (out / "vote.json").is_file()
    (out / "notes.txt").unlink()
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "outbox").mkdir()  # an older demo's letters inside the bundle
    refused("--out", tmp_path / "old", says="never publish them")
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    refused("--out", out, "--private", other, says="not a demo's private directory")
    assert (other / "keep.txt").read_text() == "mine"
    assert (out / "vote.json").is_file() and (private / "outbox").is_dir()  # refused: nothing removed


def test_wga_2017_scaled_down(tmp_path: Path) -> None:
    members = 400
    plan = load_scenario(name="wga-2017").scaled(members)
    out = tmp_path / "wga"
    r = sv("demo", "--scenario", "wga-2017", "--members", members, "--out", out, "--seed", 2017)
    assert_public_bundle(out, {x.id for x in plan.locals}, tmp_path / "wga.private")
    result = json.loads((out / "result.json").read_text())
    check_result(result, {x.id: (x.eligible, x.yes, x.no, x.no_email, x.in_arrears) for x in plan.locals})
    m = re.fullmatch(
        r"SIMULATION \(not a real vote\): "
        r"Members of the Writers Guild of America have voted to authorize a strike\. "
        r"(\d+\.\d)% of the ([\d,]+) members who cast ballots voted in favor; "
        r"(\d+\.\d)% of eligible members voted\.",
        result["announcement"],
    )
    assert m, result["announcement"]
    pop = result["popular"]
    assert int(m[2].replace(",", "")) == pop["ballots"]
    assert float(m[1]) == pytest.approx(100 * pop["yes"] / pop["ballots"], abs=0.05)
    assert float(m[3]) == pytest.approx(100 * pop["ballots"] / pop["eligible"], abs=0.05)
    assert 95 < float(m[1]) < 97.5 and 60 < float(m[3]) < 75  # the published 96.3% and 67.5%, scaled
    assert result["passed"] is True and flat(result["announcement"]) in flat(r.stdout)


def test_scenario_names_a_built_in_or_a_file_and_preset_is_a_hidden_deprecated_alias(tmp_path: Path) -> None:
    assert "--preset" not in sv("demo", "--help").output
    assert "--scenario" in sv("demo", "--help").output
    r = sv("demo", "--scenario", "iatse-1999", "--out", tmp_path / "a", code=2)
    assert "iatse-1999: cannot read" in flat(r.output)  # not a built-in name: read as a file
    r = sv("demo", "--preset", "iatse-1999", "--out", tmp_path / "b", code=2)
    assert "--preset is deprecated, use --scenario NAME" in flat(r.output)
    assert "unknown demo scenario 'iatse-1999' (available: iatse-2021, wga-2017)" in flat(r.output)
    r = sv("demo", "--preset", "wga-2017", "--scenario", "wga-2017", code=2)
    assert "give --scenario only" in flat(r.output)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
