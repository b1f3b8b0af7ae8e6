"""The database failing under the server: PostgreSQL restarted mid-burst (a cluster of the test's own, never the
shared server) and SQLite's file locked by another process.  Clients get a clear 503 with Retry-After, never an
acknowledgement without a commit and never a 500; the server recovers without being restarted itself."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from rel_kit import GroupServer, PrivatePostgres, ballot_rows, start_group_server
from server_kit import Vote, make_vote, post_ballot

from conftest import trials
from strikevote.db.engine import open_db

CLIENTS = 8


def _cast_all(
    server: GroupServer, vote: Vote, raws: list[str], during: Any
) -> tuple[list[dict[str, Any]], Counter[str]]:
    """CLIENTS clients cast every ballot, re-sending after Retry-After on a 503; ``during()`` runs once the
    first receipts are in.  Returns the receipts and the count of each non-201 answer."""
    todo = list(raws)
    lock = threading.Lock()
    receipts: list[dict[str, Any]] = []
    answers: Counter[str] = Counter()
    started = threading.Event()

    def client() -> None:
        with server.client() as c:
            while True:
                with lock:
                    if not todo:
                        return
                    raw = todo.pop()
                r = post_ballot(c, vote.id, raw)
                if r.status_code == 201:
                    with lock:
                        receipts.append(r.json())
                    started.set()
                    continue
                body = r.json()
                assert r.status_code == 503, r.text  # never 500, never a refusal of a good ballot
                assert body["error"] in {"busy", "unavailable"} and body["detail"], r.text
                assert int(r.headers["retry-after"]) >= 1
                with lock:
                    answers[body["error"]] += 1
                    todo.append(raw)  # try again later, as the header says
                time.sleep(min(float(r.headers["retry-after"]), 1.0))

    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = [pool.submit(client) for _ in range(CLIENTS)]
        started.wait(120)
        during()
        for f in futures:
            f.result()
    return receipts, answers


def _check_board(db: Any, receipts: list[dict[str, Any]], expected: int) -> None:
    rows = {row.tracker: row for row in ballot_rows(db)}
    assert len(receipts) == expected == len({r["tracker"] for r in receipts})
    for rec in receipts:  # every acknowledgement was a commit
        assert rec["tracker"] in rows and rows[rec["tracker"]].height == rec["height"]
    assert len(rows) == expected


@pytest.fixture
def private_pg() -> Iterator[PrivatePostgres]:
    """Under /tmp (pytest's directories may not be reachable by the postgres user)."""
    root = Path(tempfile.mkdtemp(prefix="sv-rel-pg-"))
    pg = PrivatePostgres(root)
    pg.start()
    try:
        yield pg
    finally:
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.postgres
def test_postgresql_restarted_mid_burst(private_pg: PrivatePostgres, tmp_path: Path) -> None:
    url = private_pg.create_database("rel")
    db = open_db(url)
    vote = make_vote(db, tmp_path, f"r-{uuid.uuid4().hex[:8]}", locals_={"44": ("A", 40)})
    raws = [vote.ballot(x) for x in vote.letters_of("44")]
    server = start_group_server(url, tmp_path, workers=2)
    restarts = trials(2)
    try:

        def restart() -> None:
            for _ in range(restarts):
                private_pg.restart()
                time.sleep(0.5)

        receipts, answers = _cast_all(server, vote, raws, restart)
        assert server.proc.poll() is None  # the same server, never restarted
        with server.client() as c:  # and it serves reads too
            assert c.get(f"/api/v1/votes/{vote.id}/turnout").status_code == 200
    finally:
        server.stop()
    db.kw["bind"].dispose()
    db = open_db(url)
    _check_board(db, receipts, len(raws))
    db.kw["bind"].dispose()
    print(f"PostgreSQL restarts: {restarts}; receipts {len(receipts)}; 503 answers {dict(answers)}")


def test_sqlite_file_locked_by_another_process(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'locked.sqlite3'}"
    db = open_db(url)
    vote = make_vote(db, tmp_path, f"s-{uuid.uuid4().hex[:8]}", locals_={"44": ("A", 16)})
    raws = [vote.ballot(x) for x in vote.letters_of("44")]
    server = start_group_server(url, tmp_path, workers=2)
    try:

        def lock_for_a_while() -> None:
            other = sqlite3.connect(tmp_path / "locked.sqlite3", isolation_level=None, timeout=60)
            other.execute("BEGIN EXCLUSIVE")  # another program holds the write lock
            time.sleep(25)  # longer than a cast's retries: clients must hear 503
            other.execute("ROLLBACK")
            other.close()

        receipts, answers = _cast_all(server, vote, raws, lock_for_a_while)
        assert answers, "no client was told to come back while the file was locked"
        assert server.proc.poll() is None
    finally:
        server.stop()
    _check_board(db, receipts, len(raws))
    db.kw["bind"].dispose()
    print(f"SQLite locked 25 s: receipts {len(receipts)}; 503 answers {dict(answers)}")
