"""A full disk under the SQLite database: the server answers 503 with Retry-After (never an acknowledgement
without a commit, never a 500), nothing half-written is left, and casting resumes once space is freed.

The database lives on a small tmpfs of its own (mounting needs root; without it the test says why and fails
under ``STRIKEVOTE_REQUIRE_FULL_DISK=1``, else skips)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from rel_kit import ballot_rows, start_group_server
from server_kit import make_vote, post_ballot

from strikevote.db.engine import open_db


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mnt = tmp_path / "small"
    mnt.mkdir()
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mnt)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        reason = f"cannot mount a small tmpfs ({proc.stderr.strip() or proc.returncode})"
        if os.environ.get("STRIKEVOTE_REQUIRE_FULL_DISK") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _fill(path: Path) -> None:
    """Write until the file system refuses (ENOSPC)."""
    chunk = b"\0" * 65536
    with path.open("wb", buffering=0) as f:
        try:
            while True:
                f.write(chunk)
        except OSError:
            pass
        try:
            while True:
                f.write(b"\0" * 512)
        except OSError:
            pass


def test_full_disk_is_503_and_recovers(small_disk: Path, tmp_path: Path) -> None:
    db_file = small_disk / "sv.sqlite3"
    url = f"sqlite:///{db_file}"
    db = open_db(url)
    vote = make_vote(db, tmp_path, f"d-{uuid.uuid4().hex[:8]}", locals_={"44": ("A", 12)})
    db.kw["bind"].dispose()  # the last connection closes: SQLite checkpoints and removes the WAL
    raws = [vote.ballot(x) for x in vote.letters_of("44")]
    server = start_group_server(url, tmp_path, workers=2)
    acked: dict[str, int] = {}
    refused: list[str] = []
    try:
        with server.client() as c:
            for raw in raws[:3]:
                r = post_ballot(c, vote.id, raw)
                assert r.status_code == 201, r.text
                acked[r.json()["tracker"]] = r.json()["height"]
            _fill(small_disk / "filler")
            for raw in raws[3:]:
                r = post_ballot(c, vote.id, raw)
                if r.status_code == 201:  # a write that still fitted in space SQLite already had
                    acked[r.json()["tracker"]] = r.json()["height"]
                    continue
                assert r.status_code == 503, r.text
                assert r.json()["error"] in {"busy", "unavailable"} and int(r.headers["retry-after"]) >= 1
                refused.append(raw)
                assert c.get(f"/api/v1/votes/{vote.id}/turnout").status_code == 200  # reads still work
            assert refused, "the full disk refused nothing"
            (small_disk / "filler").unlink()
            for raw in refused:  # space again: the same server takes them
                r = post_ballot(c, vote.id, raw)
                assert r.status_code == 201, r.text
                acked[r.json()["tracker"]] = r.json()["height"]
    finally:
        server.stop()
    db = open_db(url)
    rows = {row.tracker: row.height for row in ballot_rows(db)}
    db.kw["bind"].dispose()
    assert rows == acked  # every acknowledgement a commit; nothing stored that was refused
    with sqlite3.connect(db_file) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    print(f"full disk: {len(refused)} casts answered 503, then accepted; {len(acked)} on the board")
