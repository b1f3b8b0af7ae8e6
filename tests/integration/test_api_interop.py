"""Another project's client votes through our API: belenios-tool 3.0 ``election generate-ballot`` makes a
ballot against the archive downloaded from the API, and the server accepts it when POSTed raw; the ballot
then appears on the board and in the archive, which belenios-tool verifies."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from server_kit import Server, make_vote, post_ballot, start_server

from strikevote.db.engine import open_db

pytestmark = pytest.mark.interop


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Any, Path]]:
    work = tmp_path_factory.mktemp("interop-api")
    url = f"sqlite:///{work / 'server.sqlite3'}"
    db = open_db(url)
    server = start_server(url, work)
    try:
        yield server, db, work
    finally:
        server.stop()
        db.kw["bind"].dispose()


def _tool(tool: str, args: list[str], cwd: Path) -> str:
    proc = subprocess.run([tool, *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, (
        f"belenios-tool {' '.join(args)}: {proc.stdout[-1500:]} {proc.stderr[-1500:]}"
    )
    return proc.stdout if args[:2] == ["election", "generate-ballot"] else proc.stdout + proc.stderr


@pytest.mark.parametrize("group", ["Ed25519", "BELENIOS-2048"])
def test_belenios_tool_ballot_is_accepted_raw(
    served: tuple[Server, Any, Path], belenios_tool_3: str, group: str, tmp_path: Path
) -> None:
    server, db, work = served
    vote = make_vote(db, work, f"i-{uuid.uuid4().hex[:8]}", group=group, locals_={"7": ("Local 7", 3)})
    letter = vote.letters_of("7")[0]
    with server.client() as c:
        election_uuid = next(e["uuid"] for e in c.get(f"/api/v1/votes/{vote.id}").json()["elections"])
        assert election_uuid == letter.uuid
        archive = c.get(f"/api/v1/votes/{vote.id}/locals/7/archive")
        assert archive.status_code == 200
        d = tmp_path / "tool"
        d.mkdir()
        (d / f"{election_uuid}.bel").write_bytes(archive.content)
        (tmp_path / "cred").write_text(letter.credential + "\n")
        (tmp_path / "choice.json").write_text("[[1,0]]\n")
        raw = _tool(
            belenios_tool_3,
            [
                "election",
                "generate-ballot",
                "--dir",
                str(d),
                "--privcred",
                str(tmp_path / "cred"),
                "--choice",
                str(tmp_path / "choice.json"),
            ],
            d,
        ).strip()
        r = post_ballot(c, vote.id, raw)
        assert r.status_code == 201, r.text
        assert r.json()["local"] == "7"
        assert c.get(f"/api/v1/votes/{vote.id}/board/{r.json()['tracker']}").status_code == 200
        # the same ballot again is a replay, refused
        assert post_ballot(c, vote.id, raw).json()["error"] == "duplicate"
        after = c.get(f"/api/v1/votes/{vote.id}/locals/7/archive").content
    v = tmp_path / "verify"
    v.mkdir()
    (v / f"{election_uuid}.bel").write_bytes(after)
    out = _tool(belenios_tool_3, ["election", "verify"], v)
    assert "all checks passed" in out, out
