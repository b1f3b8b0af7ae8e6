"""The ballot box under concurrency, on SQLite and PostgreSQL (issue 11, part 1): a close racing casts from other
processes, identical re-sends, and batches with bad ballots beside good ones."""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from test_lifecycle import run_to_bundle
from vote_kit import NOW, archive_trackers, board_state, open_vote

from strikevote.db import models
from strikevote.db.engine import open_db
from strikevote.services import ballotbox, tally
from strikevote.services.ballotbox import Receipt
from strikevote.services.errors import BallotRejected

CASTERS = 3


def _caster(db_url: str, vote_id: str, raws: list[str], out: str, cast_so_far: Any) -> None:
    """One process casting its ballots in turn; each outcome written (and fsync'ed) before the next cast."""
    db = open_db(db_url)
    with open(out, "a", encoding="utf-8") as f:
        for raw in raws:
            try:
                r = ballotbox.cast(db, vote_id, raw, NOW)
                line = {"tracker": r.tracker, "local": r.local_id, "height": r.height}
                with cast_so_far.get_lock():
                    cast_so_far.value += 1
            except BallotRejected as exc:
                line = {"refused": exc.reason}
            f.write(json.dumps(line) + "\n")
            f.flush()
            os.fsync(f.fileno())


def test_close_while_processes_cast_counts_every_acknowledged_ballot(db_url: str, tmp_path: Path) -> None:
    """Regression: `tally close --early` under load left acknowledged ballots out of the tally (PostgreSQL:
    300 Ballot events before EndBallots, 286 counted).  Now a ballot is acknowledged and counted, or refused."""
    db = open_db(db_url)
    kit = open_vote(db, tmp_path, sizes={"44": 10, "80": 50})
    early = kit.letters_of("44")[:6]
    for i, letter in enumerate(early):
        ballotbox.cast(db, kit.vote_id, kit.ballot(letter, i % 2 == 0), NOW)
    racing = [
        kit.ballot(x, i % 3 != 0) for i, x in enumerate(kit.letters_of("80") + kit.letters_of("44")[6:])
    ]
    ctx = multiprocessing.get_context("spawn")
    cast_so_far = ctx.Value("i", 0)
    outs = [tmp_path / f"caster-{i}.jsonl" for i in range(CASTERS)]
    procs = [
        ctx.Process(target=_caster, args=(db_url, kit.vote_id, racing[i::CASTERS], str(outs[i]), cast_so_far))
        for i in range(CASTERS)
    ]
    for p in procs:
        p.start()
    deadline = time.monotonic() + 120
    while cast_so_far.value < 12 and time.monotonic() < deadline:  # close while the casters are in full flow
        time.sleep(0.01)
    counted = tally.close_and_tally(db, kit.vote_id)
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    lines = [json.loads(x) for out in outs for x in out.read_text().splitlines()]
    assert len(lines) == len(racing)
    acked = [x for x in lines if "tracker" in x]
    refused = [x for x in lines if "refused" in x]
    assert {x["refused"] for x in refused} <= {"closed"}, refused
    assert 12 <= len(acked) < len(racing)  # the close really happened in the middle of the casts
    by_local = {lid: sum(1 for x in acked if x["local"] == lid) for lid in ("44", "80")}
    assert counted == {"44": len(early) + by_local["44"], "80": by_local["80"]}
    out = tmp_path / "bundle"
    run_to_bundle(kit, out, close=False)  # decrypt, publish, verify (tally.num-tallied included)
    on_board = set(archive_trackers(out / "locals" / "44.bel")) | set(
        archive_trackers(out / "locals" / "80.bel")
    )
    assert {x["tracker"] for x in acked} <= on_board
    assert len(on_board) == len(early) + len(acked)


def test_identical_resend_returns_the_original_receipt(db_url: str, tmp_path: Path) -> None:
    """Regression: a re-send of a committed ballot (its acknowledgement lost) was refused as `duplicate`, and
    concurrent identical sends sometimes as `revote`: now every identical send gets the one receipt."""
    db = open_db(db_url)
    kit = open_vote(db, tmp_path, revote="last-counts", sizes={"44": 3, "80": 1})
    a, b, _ = kit.letters_of("44")
    raw = kit.ballot(a, True)
    first = ballotbox.cast(db, kit.vote_id, raw, NOW)
    assert not first.resent
    before = board_state(db)
    again = ballotbox.cast(db, kit.vote_id, raw, NOW)
    assert (again.tracker, again.local_id, again.height, again.resent) == (
        first.tracker,
        "44",
        first.height,
        True,
    )
    assert board_state(db) == before  # nothing appended

    # last-counts: a later ballot supersedes; re-sending the earlier one returns its receipt, adds nothing, and
    # does not bring it back
    later = ballotbox.cast(db, kit.vote_id, kit.ballot(a, False), NOW)
    before = board_state(db)
    assert ballotbox.cast(db, kit.vote_id, raw, NOW).height == first.height
    assert board_state(db) == before

    # 16 threads send one identical ballot at once: one append, 16 identical receipts
    same = kit.ballot(b, True)
    start = threading.Barrier(16)

    def send(_: int) -> Receipt | BallotRejected:
        start.wait()
        try:
            return ballotbox.cast(db, kit.vote_id, same, NOW)
        except BallotRejected as exc:
            return exc

    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(send, range(16)))
    assert all(isinstance(o, Receipt) for o in outcomes), outcomes
    assert len({(o.tracker, o.height) for o in outcomes if isinstance(o, Receipt)}) == 1
    assert sum(1 for o in outcomes if isinstance(o, Receipt) and not o.resent) == 1
    assert tally.close_and_tally(db, kit.vote_id) == {"44": 2, "80": 0}
    # after the close, a re-send still gets its receipt; a new ballot is refused as closed
    assert ballotbox.cast(db, kit.vote_id, same, NOW).resent
    with pytest.raises(BallotRejected) as info:
        ballotbox.cast(db, kit.vote_id, kit.ballot(kit.letters_of("80")[0], True), NOW)
    assert info.value.reason == "closed"
    assert later.height > first.height


DEEP = "[" * 100_000


@pytest.mark.parametrize(
    "bad",
    [
        DEEP,
        '{"election_uuid": ' + "9" * 5000 + "}",
        '{"election_uuid": 123456789012345678901234567890}',
        '{"election_uuid": ["a", "b"]}',
        '{"election_uuid": {"$gt": ""}}',
        '{"election_uuid": "' + "x" * 65 + '"}',
        "[]",
        '"just a string"',
        "{" + '"a":' * 50_000,
        "x" * (ballotbox.MAX_BALLOT_CHARS + 1),
    ],
    ids=[
        "deep-list",
        "long-int",
        "huge-int",
        "list",
        "dict",
        "long-uuid",
        "array",
        "string",
        "deep-obj",
        "huge",
    ],
)
def test_malformed_ballots_are_refused_as_invalid(db_url: str, tmp_path: Path, bad: str) -> None:
    """Regression: deep nesting raised RecursionError; a non-string election_uuid reached SQL."""
    db = open_db(db_url)
    kit = open_vote(db, tmp_path, sizes={"44": 2, "80": 1})
    before = board_state(db)
    with pytest.raises(BallotRejected) as info:
        ballotbox.cast(db, kit.vote_id, bad, NOW)
    assert info.value.reason == "invalid"
    assert board_state(db) == before


def test_batch_refuses_bad_ballots_alone(db_url: str, tmp_path: Path) -> None:
    """Regression: a `"["*100000` ballot in a batch raised RecursionError and dropped the valid ballots."""
    db = open_db(db_url)
    kit = open_vote(db, tmp_path, sizes={"44": 3, "80": 2})
    good = [kit.ballot(x, True) for x in kit.letters_of("44")] + [kit.ballot(kit.letters_of("80")[0], False)]
    outcomes = ballotbox.cast_batch(
        db, kit.vote_id, [good[0], DEEP, good[1], '{"election_uuid": [1]}', good[2], good[0], good[3]], NOW
    )
    kinds = [
        o.reason if isinstance(o, BallotRejected) else ("resent" if o.resent else "ok") for o in outcomes
    ]
    assert kinds == ["ok", "invalid", "ok", "invalid", "ok", "resent", "ok"]
    assert outcomes[5] == outcomes[0].__class__(**{**outcomes[0].__dict__, "resent": True})
    # a second batch of the same ballots: every one answered with its receipt, nothing appended
    before = board_state(db)
    again = ballotbox.cast_batch(db, kit.vote_id, good, NOW)
    assert [(r.tracker, r.height) for r in again if isinstance(r, Receipt)] == [
        (o.tracker, o.height) for o in outcomes if isinstance(o, Receipt) and not o.resent
    ]
    assert board_state(db) == before
    with db() as s:
        assert s.scalar(select(func.count()).select_from(models.Ballot)) == 4
