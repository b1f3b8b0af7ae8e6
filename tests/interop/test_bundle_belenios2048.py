"""A ``strikevote demo --group BELENIOS-2048`` bundle, local by local, is accepted by the reference
belenios-tool 2.0 (``election verify`` checks every ballot in that version), which computes the counts
result.json publishes — as README "To check one local" tells a member to do it: ``locals/<id>.bel`` copied to
``<uuid>.bel`` alone in an empty directory."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from belenios_helpers import archive_result, run_tool, truncate_before
from typer.testing import CliRunner

from strikevote.cli.main import app

pytestmark = pytest.mark.interop

# id: (eligible, yes, no) — a local where nobody votes, too
LOCALS = {"101": (4, 2, 1), "202": (3, 0, 2), "303": (2, 0, 0)}


def _scenario(path: Path) -> Path:
    lines = [
        'union = "Interop Test Union"',
        'question = "Do you authorize a strike?"',
        'rule = "simple-majority"',
    ]
    for lid, (eligible, yes, no) in LOCALS.items():
        lines += ["", "[[locals]]", f'id = "{lid}"', f"eligible = {eligible}", f"yes = {yes}", f"no = {no}"]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("demo-2048")
    out = d / "bundle"
    args = ["demo", "--scenario", str(_scenario(d / "scenario.toml")), "--group", "BELENIOS-2048"]
    r = CliRunner().invoke(app, [*args, "--out", str(out), "--seed", "2048"])
    assert r.exit_code == 0, f"{r.exception!r}\n{r.output}"
    assert "Independent verification: VALID" in r.output
    return out


def _elections(bundle: Path) -> list[tuple[str, str, dict[str, Any]]]:
    """(local id, election uuid, result.json entry) for every local of the bundle."""
    vote = json.loads((bundle / "vote.json").read_text())
    result = json.loads((bundle / "result.json").read_text())
    published = {x["id"]: x for x in result["locals"]}
    assert vote["group"] == result["group"] == "BELENIOS-2048"
    rows = [(e["local"], e["uuid"], published[e["local"]]) for e in vote["elections"]]
    assert sorted(r[0] for r in rows) == sorted(LOCALS)
    return rows


def test_every_local_accepted_by_belenios_tool_2(bundle: Path, belenios_tool_2: str, tmp_path: Path) -> None:
    for lid, uuid, pub in _elections(bundle):
        assert pub["election_uuid"] == uuid
        d = tmp_path / lid
        d.mkdir()
        shutil.copyfile(bundle / "locals" / f"{lid}.bel", d / f"{uuid}.bel")
        proc = run_tool(belenios_tool_2, ["election", "verify"], d)
        out = proc.stdout + proc.stderr
        assert "all checks passed" in out, f"local {lid}: {out}"
        eligible, yes, no = LOCALS[lid]
        assert (pub["eligible"], pub["ballots"], pub["yes"], pub["no"]) == (eligible, yes + no, yes, no)
        assert archive_result(d / f"{uuid}.bel") == {"result": [[pub["yes"], pub["no"]]]}


def test_belenios_tool_2_computes_the_published_counts(
    bundle: Path, belenios_tool_2: str, tmp_path: Path
) -> None:
    """The tool's own result, from the archive cut before our Result event, equals result.json."""
    for lid, uuid, pub in _elections(bundle):
        d = tmp_path / lid
        truncate_before(bundle / "locals" / f"{lid}.bel", d / f"{uuid}.bel", "Result")
        proc = run_tool(belenios_tool_2, ["election", "compute-result"], d)
        computed = json.loads(proc.stdout.strip().splitlines()[-1])
        assert computed == {"result": [[pub["yes"], pub["no"]]]}, f"local {lid}: {proc.stdout}"
