"""A full disk under the database: the server answers 503 with Retry-After (never an acknowledgement without a
commit, never a 500), nothing half-written is left, and casting resumes once space is freed, without a restart.

The database lives on a small tmpfs of its own: SQLite's file, or, for PostgreSQL, the tablespace of the vote's
database in a cluster of the test's own (initdb in a temporary directory, its own port on 127.0.0.1, its socket
in that directory; never the shared test server, whose checkpoints a full tablespace would break).  A filler
file takes all but a little of the space, and the server's own casts then run the disk full.

Mounting needs root; without it the test says why and fails under ``STRIKEVOTE_REQUIRE_FULL_DISK=1`` (as
``make test`` sets when run as root, as in CI), else skips.  The full-disk tests take a lock of the machine's,
so that they never run two at a time (other xdist workers, other pytest sessions)."""

from __future__ import annotations

import fcntl
import os
import pwd
import shutil
import sqlite3
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from rel_kit import PrivatePostgres, ballot_rows, start_group_server
from server_kit import make_vote, post_ballot

from strikevote.db.engine import open_db

HEADROOM = 64 * 1024  # what the filler leaves: the server's casts fill it
MEMBERS = 60
REFUSALS = 5  # casts refused before the space is freed
LOCK = Path(tempfile.gettempdir()) / "strikevote-full-disk.lock"


def _cannot(reason: str) -> None:
    if os.environ.get("STRIKEVOTE_REQUIRE_FULL_DISK") == "1":
        pytest.fail(f"{reason} (STRIKEVOTE_REQUIRE_FULL_DISK=1)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def one_at_a_time() -> Iterator[None]:
    try:  # read-only, so that a lock file another user made serves too (/tmp is sticky)
        fd = os.open(LOCK, os.O_RDONLY)
    except FileNotFoundError:
        fd = os.open(LOCK, os.O_RDONLY | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


@contextmanager
def _tmpfs(where: Path, size: str) -> Iterator[Path]:
    where.mkdir()
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        _cannot(f"cannot mount a small tmpfs ({proc.stderr.strip() or proc.returncode})")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=False, capture_output=True)
        if os.path.ismount(where):  # still busy (a server process not yet gone): detach it
            subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.fixture
def small_disk(tmp_path: Path, one_at_a_time: None) -> Iterator[Path]:
    with _tmpfs(tmp_path / "small", "8m") as mnt:
        yield mnt


@pytest.fixture
def pg_on_small_disk(one_at_a_time: None) -> Iterator[tuple[str, Path]]:
    """A private cluster whose vote database lives in a tablespace on a 32 MiB tmpfs (CREATE DATABASE copies
    template1, about 8 MiB, into it).  Everything is torn down on failure too: the cluster stopped, the tmpfs
    unmounted, the directories removed."""
    # Under /tmp, not pytest's directories: the postgres system user must reach both.
    base = Path(tempfile.mkdtemp(prefix="sv-rel-full-pg-"))
    base.chmod(0o755)
    try:
        with _tmpfs(base / "space", "32m") as mnt:
            (base / "cluster").mkdir()
            pg = PrivatePostgres(base / "cluster")
            if os.geteuid() == 0:
                owner = pwd.getpwnam("postgres")
                os.chown(mnt, owner.pw_uid, owner.pw_gid)
            pg.start()
            try:
                with pg.admin() as conn:
                    conn.execute(f"CREATE TABLESPACE small LOCATION '{mnt}'")
                url = pg.create_database("full", tablespace="small")
                yield url, mnt
            finally:
                pg.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _fill(path: Path, leave: int) -> None:
    """Write until the file system refuses (ENOSPC), then give back ``leave`` bytes."""
    with path.open("wb", buffering=0) as f:
        for size in (65536, 4096, 512):
            chunk = b"\0" * size
            try:
                while True:
                    f.write(chunk)
            except OSError:
                pass
        f.truncate(max(0, f.tell() - leave))


def test_full_disk_is_503_and_recovers(small_disk: Path, tmp_path: Path) -> None:
    db_file = small_disk / "sv.sqlite3"
    url = f"sqlite:///{db_file}"
    _cast_through_a_full_disk(url, small_disk, tmp_path)
    with sqlite3.connect(db_file) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.postgres
def test_postgresql_full_disk_is_503_and_recovers(pg_on_small_disk: tuple[str, Path], tmp_path: Path) -> None:
    url, space = pg_on_small_disk
    _cast_through_a_full_disk(url, space, tmp_path)


def _cast_through_a_full_disk(url: str, disk: Path, tmp_path: Path) -> None:
    db = open_db(url)
    vote = make_vote(db, tmp_path, f"d-{uuid.uuid4().hex[:8]}", locals_={"44": ("A", MEMBERS)})
    db.kw["bind"].dispose()  # SQLite: the last connection closes, so SQLite checkpoints and removes the WAL
    raws = [vote.ballot(x) for x in vote.letters_of("44")]
    server = start_group_server(url, tmp_path, workers=2)
    acked: dict[str, int] = {}
    refused: list[str] = []
    into_the_gap = 0
    try:
        with server.client() as c:
            for raw in raws[:3]:
                r = post_ballot(c, vote.id, raw)
                assert r.status_code == 201, r.text
                acked[r.json()["tracker"]] = r.json()["height"]
            _fill(disk / "filler", HEADROOM)
            todo = raws[3:]
            while todo and len(refused) < REFUSALS:
                raw = todo.pop(0)
                r = post_ballot(c, vote.id, raw)
                if r.status_code == 201:  # the casts fill what the filler left (or space inside the files)
                    acked[r.json()["tracker"]] = r.json()["height"]
                    into_the_gap += 1
                    continue
                assert r.status_code == 503, r.text
                assert r.json()["error"] in {"busy", "unavailable"} and r.json()["detail"], r.text
                assert int(r.headers["retry-after"]) >= 1
                refused.append(raw)
                assert c.get(f"/api/v1/votes/{vote.id}/turnout").status_code == 200  # reads still work
            assert len(refused) == REFUSALS, f"the full disk refused {len(refused)} of {len(raws) - 3} casts"
            (disk / "filler").unlink()
            for raw in refused + todo:  # space again: the same server takes them, and the rest
                r = post_ballot(c, vote.id, raw)
                assert r.status_code == 201, r.text
                acked[r.json()["tracker"]] = r.json()["height"]
        assert server.proc.poll() is None  # recovered without a restart
    finally:
        server.stop()
    db = open_db(url)
    rows = {row.tracker: row.height for row in ballot_rows(db)}
    db.kw["bind"].dispose()
    assert len(acked) == len(raws)
    assert rows == acked  # every acknowledgement a commit at its height; nothing stored that was refused
    print(
        f"full disk ({url.split(':')[0]}): {into_the_gap} casts filled the last {HEADROOM // 1024} KiB, "
        f"{len(refused)} answered 503, then accepted; {len(acked)} on the board"
    )
