"""Crashes: the server is killed with SIGKILL (supervisor and workers at once) at a random moment of a burst of
distinct ballots, and restarted.  Every receipt a client had (written and fsync'ed as it arrived) is on the
board at its height, no ballot is stored twice, a ballot whose answer was lost in the crash is answered on
re-send with its receipt (or accepted then), and the vote then closes, tallies, decrypts, publishes and
verifies (every hash chain whole)."""

from __future__ import annotations

import json
import os
import random
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from rel_kit import GroupServer, ballot_rows, decrypt_publish_verify, start_group_server
from server_kit import make_vote, post_ballot

from conftest import trials
from strikevote.crypto.hashing import sha256_b64
from strikevote.db.engine import open_db
from strikevote.services import tally

CLIENTS = 8
PER_CLIENT = 3
CRASH_TRIALS = trials(10)


class Receipts:
    """What the clients hold: each receipt appended and fsync'ed before the next request."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()

    def add(self, receipt: dict[str, Any]) -> None:
        with self.lock, self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(receipt) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def all(self) -> list[dict[str, Any]]:
        return [json.loads(x) for x in self.path.read_text().splitlines()] if self.path.exists() else []


@pytest.fixture(scope="module")
def db_and_work(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any, Path]]:
    work = tmp_path_factory.mktemp("crashes")
    db = open_db(backend)
    try:
        yield backend, db, work
    finally:
        db.kw["bind"].dispose()


def _burst(
    server: GroupServer, vote_id: str, raws: list[str], receipts: Receipts, kill_after: float
) -> list[str]:
    """Cast ``raws`` from CLIENTS clients; kill the server ``kill_after`` s after the first receipt.  Returns the
    ballots whose outcome the clients never heard."""
    todo = iter(raws)
    lock = threading.Lock()
    unknown: list[str] = []
    first = threading.Event()

    def client() -> None:
        with server.client() as c:
            while True:
                with lock:
                    raw = next(todo, None)
                if raw is None:
                    return
                try:
                    r = post_ballot(c, vote_id, raw)
                except httpx.TransportError:
                    with lock:
                        unknown.append(raw)
                    continue
                assert r.status_code == 201, r.text  # distinct ballots, distinct credentials
                receipts.add(r.json())
                first.set()

    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = [pool.submit(client) for _ in range(CLIENTS)]
        first.wait(120)
        time.sleep(kill_after)
        server.kill()
        for f in futures:
            f.result()
    return unknown


def test_sigkill_mid_burst_loses_no_receipt(db_and_work: tuple[str, Any, Path], tmp_path: Path) -> None:
    url, db, work = db_and_work
    size = CRASH_TRIALS * CLIENTS * PER_CLIENT // 2 + 1
    vote = make_vote(db, work, f"k-{uuid.uuid4().hex[:8]}", locals_={"44": ("A", size), "80": ("B", size)})
    letters = vote.letters_of("44") + vote.letters_of("80")
    random.Random(11).shuffle(letters)
    receipts = Receipts(tmp_path / "receipts.jsonl")
    rng = random.Random(1)
    lost_answers = committed_unanswered = 0
    server = start_group_server(url, work, workers=2)
    try:
        for trial in range(CRASH_TRIALS):
            batch = letters[trial * CLIENTS * PER_CLIENT : (trial + 1) * CLIENTS * PER_CLIENT]
            raws = [vote.ballot(x, yes=i % 2 == 0) for i, x in enumerate(batch)]
            unknown = _burst(server, vote.id, raws, receipts, kill_after=rng.uniform(0.0, 0.3))
            server = start_group_server(url, work, workers=2)
            lost_answers += len(unknown)
            before = {row.tracker for row in ballot_rows(db)}
            committed_unanswered += sum(1 for raw in unknown if sha256_b64(raw) in before)
            with server.client() as c:  # the clients re-send what they never heard about
                for raw in unknown:
                    r = post_ballot(c, vote.id, raw)
                    assert r.status_code == 201, r.text
                    receipts.add(r.json())
            held = receipts.all()
            on_board = {row.tracker: row for row in ballot_rows(db)}
            for rec in held:
                assert rec["tracker"] in on_board, f"trial {trial}: acknowledged {rec} is not on the board"
                assert on_board[rec["tracker"]].height == rec["height"]
            assert len(on_board) == len({r["tracker"] for r in held})  # nothing stored that nobody holds
            assert len({(row.election_id, row.credential) for row in on_board.values()}) == len(on_board)
    finally:
        server.stop()
    assert len({r["tracker"] for r in receipts.all()}) == CRASH_TRIALS * CLIENTS * PER_CLIENT
    counted = tally.close_and_tally(db, vote.id, datetime.now(UTC), early=True)
    assert sum(counted.values()) == CRASH_TRIALS * CLIENTS * PER_CLIENT
    decrypt_publish_verify(db, vote.id, vote.live, tmp_path / "bundle")
    print(
        f"crash trials: {CRASH_TRIALS}, receipts {len(receipts.all())}, answers lost in crashes {lost_answers}"
    )
