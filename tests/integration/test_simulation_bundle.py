"""A demo's bundle says SIMULATION in vote.json, result.json and report.html, its title carries the year it was
run in, and the verifier holds the flag like every other field; the certificate lists the roll's exclusions."""

from __future__ import annotations

import io
import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console

from strikevote.demo.runner import run_demo
from strikevote.demo.scenario import load_scenario
from strikevote.verify.bundle import verify_bundle


@pytest.fixture(scope="module")
def wga_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("simulation")
    scenario = load_scenario(name="wga-2017").scaled(500)
    outcome = run_demo(scenario, root / "bundle", seed=3, console=Console(file=io.StringIO()), jobs=1)
    assert outcome.valid, outcome.failures
    return outcome.out


def load(path: Path) -> dict:  # type: ignore[type-arg]
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_a_demo_says_simulation_everywhere(wga_bundle: Path) -> None:
    vote, result = load(wga_bundle / "vote.json"), load(wga_bundle / "result.json")
    assert vote["simulation"] is True and result["simulation"] is True
    year = datetime.now(UTC).year
    assert vote["title"] == result["title"] == f"2017 strike authorization vote — simulation, {year}"
    html = (wga_bundle / "report.html").read_text(encoding="utf-8")
    assert 'id="simulation"' in html and "<title>SIMULATION: " in html
    assert result["announcement"].startswith("SIMULATION (not a real vote): ")
    # the scenario's no_email / in_arrears members, counted by local and reason
    excluded = {e["local"]: e["excluded"] for e in vote["elections"]}
    assert excluded["wgaw"]["no_email"] == 2 and excluded["wgaw"]["dues_arrears"] == 1
    assert excluded["wgaw"]["total"] == 3
    assert re.search(r"<td>wgaw</td><td>Writers Guild of America, West</td>", html)
    assert "closed early" in html  # the demo closes before the window's end
    assert 'id="banner-delegates"' not in html  # simple-majority: no delegate line


def copy_bundle(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def test_dropping_the_simulation_flag_is_caught(wga_bundle: Path, tmp_path: Path) -> None:
    # from result.json alone: result.field
    b = copy_bundle(wga_bundle, tmp_path / "a")
    result = load(b / "result.json")
    result["simulation"] = False
    (b / "result.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    report = verify_bundle(b, jobs=1)
    assert any(c.name == "result.field" and "simulation" in c.detail for c in report.failures), (
        report.failures
    )
    # from both: vote.json no longer matches the commitment its elections carry
    b = copy_bundle(wga_bundle, tmp_path / "b")
    vote = load(b / "vote.json")
    del vote["simulation"]
    (b / "vote.json").write_text(json.dumps(vote, indent=2, ensure_ascii=False))
    result = load(b / "result.json")
    result["simulation"] = False
    (b / "result.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    report = verify_bundle(b, jobs=1)
    assert "bundle.definition" in {c.name for c in report.failures}
    # a simulation flag that is not a boolean
    b = copy_bundle(wga_bundle, tmp_path / "c")
    vote = load(b / "vote.json")
    vote["simulation"] = "yes"
    (b / "vote.json").write_text(json.dumps(vote, indent=2, ensure_ascii=False))
    assert not verify_bundle(b, jobs=1).valid
