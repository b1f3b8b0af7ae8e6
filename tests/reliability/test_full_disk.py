"""A full disk under the database: the server answers 503 with Retry-After (never an acknowledgement without a
commit, never a 500), nothing half-written is left, and casting resumes once space is freed, without a restart.

SQLite: the database file lives on a small tmpfs of its own.  PostgreSQL: the test database is created in a
tablespace on such a tmpfs (the server must run on this machine; the tmpfs is given to the server's system user).
Mounting needs root; without it the test says why and fails under ``STRIKEVOTE_REQUIRE_FULL_DISK=1`` (as
``make test`` sets when run as root), else skips."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from rel_kit import ballot_rows, start_group_server
from server_kit import make_vote, post_ballot
from sqlalchemy.engine import URL, make_url

from strikevote.db.engine import open_db


def _cannot(reason: str) -> None:
    if os.environ.get("STRIKEVOTE_REQUIRE_FULL_DISK") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@contextmanager
def _tmpfs(where: Path, size: str) -> Iterator[Path]:
    where.mkdir()
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        _cannot(f"cannot mount a small tmpfs ({proc.stderr.strip() or proc.returncode})")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    with _tmpfs(tmp_path / "small", "8m") as mnt:
        yield mnt


def _pg_admin(server: URL) -> Any:
    import psycopg

    return psycopg.connect(
        host=server.host,
        port=server.port,
        user=server.username,
        password=server.password,
        dbname=server.database or "postgres",
        autocommit=True,
    )


@pytest.fixture
def pg_on_small_disk(pg_url: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A fresh database whose tablespace is a 48 MiB tmpfs (CREATE DATABASE copies template1, about 8 MiB)."""
    from psycopg import sql

    server = make_url(pg_url)
    with _pg_admin(server) as conn:
        data_dir = Path(str(conn.execute("SHOW data_directory").fetchone()[0]))
    try:
        owner = data_dir.stat()
    except OSError as exc:
        _cannot(f"the PostgreSQL server's data directory is not on this machine ({exc})")
    tag = uuid.uuid4().hex[:10]
    space, name = f"sv_full_{tag}", f"strikevote_full_{tag}"
    # tmp_path may be unreachable for the server's user (e.g. under /root): mount under /tmp instead.
    with tempfile.TemporaryDirectory(prefix="sv-pgspace-") as base, _tmpfs(Path(base) / "ts", "48m") as mnt:
        os.chmod(base, 0o755)
        os.chown(mnt, owner.st_uid, owner.st_gid)
        os.chmod(mnt, 0o700)
        with _pg_admin(server) as conn:
            conn.execute(sql.SQL("CREATE TABLESPACE {} LOCATION {}").format(sql.Identifier(space), str(mnt)))
            conn.execute(
                sql.SQL("CREATE DATABASE {} TABLESPACE {}").format(
                    sql.Identifier(name), sql.Identifier(space)
                )
            )
        try:
            yield server.set(database=name).render_as_string(hide_password=False), mnt
        finally:
            for f in mnt.glob("filler*"):
                f.unlink()
            with _pg_admin(server) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
                conn.execute(sql.SQL("DROP TABLESPACE IF EXISTS {}").format(sql.Identifier(space)))


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
    _cast_through_a_full_disk(url, small_disk, tmp_path)
    with sqlite3.connect(db_file) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.postgres
def test_postgresql_full_disk_is_503_and_recovers(pg_on_small_disk: tuple[str, Path], tmp_path: Path) -> None:
    url, space = pg_on_small_disk
    _cast_through_a_full_disk(url, space, tmp_path)


def _cast_through_a_full_disk(url: str, disk: Path, tmp_path: Path) -> None:
    db = open_db(url)
    vote = make_vote(db, tmp_path, f"d-{uuid.uuid4().hex[:8]}", locals_={"44": ("A", 12)})
    db.kw["bind"].dispose()  # SQLite: the last connection closes, so SQLite checkpoints and removes the WAL
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
            _fill(disk / "filler")
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
            (disk / "filler").unlink()
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
    print(
        f"full disk ({url.split(':')[0]}): {len(refused)} casts answered 503, then accepted; {len(acked)} on the board"
    )
