"""Archives made by belenios-tool alone verify VALID with ours, and our result is theirs.

* The committed corpus (``tests/vectors/belenios/``, provenance in its README): 2.0 on BELENIOS-2048 and 3.0 on
  Ed25519, each with simple, threshold and both trustee modes.  No tool needed.
* Fresh archives made at test time by ``run_election.sh`` with each tool (``interop``): 3.0 Ed25519 "both",
  2.0 BELENIOS-2048 "threshold".
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from belenios_helpers import archive_result, event_payloads, setup_object
from typer.testing import CliRunner

from strikevote.belenios.ballot import BallotCheck, parse_ballot
from strikevote.belenios.election import ElectionParams
from strikevote.cli.main import app
from strikevote.crypto.hashing import sha256_b64
from strikevote.verify.archive import verify_archive

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "vectors" / "belenios"
RUN_ELECTION = REPO.parent / "shared" / "peers" / "belenios" / "run_election.sh"
ARCHIVES = sorted(CORPUS.glob("*/*.bel"))


def test_corpus_is_complete() -> None:
    names = {p.parent.name for p in ARCHIVES}
    assert names == {
        f"belenios-{v}-{g}-{m}"
        for v, g in (("2.0", "BELENIOS-2048"), ("3.0", "Ed25519"))
        for m in ("simple", "threshold", "both")
    }
    for p in ARCHIVES:  # belenios-tool names an archive <UUID>.bel
        assert p.stem == ElectionParams.parse(setup_object(p, "election").decode()).uuid


@pytest.mark.parametrize("path", ARCHIVES, ids=[p.parent.name for p in ARCHIVES])
def test_reference_archive_is_valid(path: Path) -> None:
    report, facts = verify_archive(path, jobs=1)
    assert report.valid, [(c.name, c.detail) for c in report.failures]
    expected = json.loads((path.parent / "result.json").read_text())
    assert archive_result(path) == expected
    assert facts.result == expected["result"] == [[4, 1]]
    assert facts.ballots == facts.counted == facts.credentials == 5
    assert facts.election is not None
    assert facts.election.group.name == path.parent.name.split("-", 2)[2].rsplit("-", 1)[0]
    info = (path.parent / "info.txt").read_text()
    assert "RESULT OK" in info and facts.election.group.name in info
    names = {c.name for c in report.checks}
    assert {"ballot.all", "tally.encrypted-tally", "result.result", "archive.event-chain"} <= names
    assert any(n.startswith("trustees.") for n in names)


@pytest.mark.parametrize("path", ARCHIVES[:1] + ARCHIVES[-1:], ids=["2.0", "3.0"])
def test_reference_archive_cli(path: Path) -> None:
    result = CliRunner().invoke(app, ["verify", "--jobs", "1", "--quiet", str(path)])
    assert result.exit_code == 0, result.output
    assert "VALID" in result.stdout


@pytest.mark.parametrize("path", ARCHIVES, ids=[p.parent.name for p in ARCHIVES])
def test_reference_ballots_one_by_one(path: Path) -> None:
    """Each ballot, taken alone, passes our ballot check (what a server does on submission)."""
    election = ElectionParams.parse(setup_object(path, "election").decode())
    check = BallotCheck(election)
    trackers = set()
    for raw in event_payloads(path, "Ballot"):
        b = parse_ballot(election.group, raw.decode())
        assert check.failed_check(b) is None
        trackers.add(b.tracker)
        assert b.tracker == sha256_b64(raw)
    assert len(trackers) == 5


# --- fresh archives from the reference tools ------------------------------------------------------------------


def _run_election(tool: str, mode: str, out: Path, votes: list[str]) -> Path:
    if not RUN_ELECTION.is_file():
        if os.environ.get("STRIKEVOTE_REQUIRE_INTEROP") == "1":
            pytest.fail(f"{RUN_ELECTION} is missing", pytrace=False)
        pytest.skip(f"{RUN_ELECTION} is missing")
    votes_file = out.parent / f"{out.name}-votes.txt"
    votes_file.write_text("".join(f"{v}\n" for v in votes))
    env = {**os.environ, "BELENIOS_TOOL": tool, "TRUSTEE_MODE": mode, "NO_TIME": "1"}
    proc = subprocess.run(
        ["bash", str(RUN_ELECTION), str(len(votes)), str(out), str(votes_file)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (archive,) = out.glob("*.bel")
    return archive


@pytest.mark.interop
@pytest.mark.parametrize(
    ("version", "mode", "group"),
    [("3.0", "both", "Ed25519"), ("2.0", "threshold", "BELENIOS-2048")],
    ids=["3.0-Ed25519-both", "2.0-BELENIOS-2048-threshold"],
)
def test_fresh_reference_archive(
    version: str, mode: str, group: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    tool = request.getfixturevalue("belenios_tool_3" if version == "3.0" else "belenios_tool_2")
    archive = _run_election(tool, mode, tmp_path / "election", ["no", "yes", "no"])
    report, facts = verify_archive(archive, jobs=1)
    assert report.valid, [(c.name, c.detail) for c in report.failures]
    assert facts.election is not None and facts.election.group.name == group
    tool_result = json.loads((archive.parent / "result.json").read_text())
    assert facts.result == tool_result["result"] == archive_result(archive)["result"] == [[1, 2]]
    assert facts.ballots == facts.counted == 3
