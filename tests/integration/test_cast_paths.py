"""The two ways a ballot reaches the board write the same rows: ``cast`` (prebuilt Core statements, the vote
server's hot path: services/cast_sql.py) and ``cast_batch`` (the ORM's Board).  Interleaved on one election, on
SQLite and PostgreSQL, the chain they build together is whole and the bundle verifies."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sqlalchemy import select
from test_lifecycle import run_to_bundle
from vote_kit import NOW, open_vote

from strikevote.belenios.archive import Event as BelEvent
from strikevote.belenios.election import ElectionParams
from strikevote.cli.ballot_cmd import read_letter
from strikevote.crypto.credentials import public_credential
from strikevote.db import models
from strikevote.db.engine import open_db
from strikevote.mail.outbox import record_recipients
from strikevote.services import ballotbox
from strikevote.services.ballotbox import Receipt


def _public(election: ElectionParams, credential: str) -> str:
    return str(election.group.encode(public_credential(election.group, election.uuid, credential)))


def test_cast_and_cast_batch_interleaved_build_one_whole_chain(db_url: str, tmp_path: Path) -> None:
    db = open_db(db_url)
    kit = open_vote(db, tmp_path, revote="last-counts", sizes={"44": 8, "80": 4})
    letters = kit.letters_of("44")
    el = kit.elections["44"]
    with db.begin() as s:  # as a vote with mail would: each member's public credential, for confirmations
        election_id = s.scalar(select(models.Election.id).where(models.Election.uuid == el.uuid))
        assert election_id is not None
        record_recipients(
            s, election_id, [(x.member_id, _public(el, read_letter(x.path).credential)) for x in letters]
        )
    single, batch = letters[0::2], letters[1::2]
    receipts: list[Receipt] = []
    for one, other in zip(single, batch, strict=True):
        receipts.append(ballotbox.cast(db, kit.vote_id, kit.ballot(one, True), NOW))
        (out,) = ballotbox.cast_batch(db, kit.vote_id, [kit.ballot(other, False)], NOW)
        assert isinstance(out, Receipt)
        receipts.append(out)
    # revotes through both paths: the credential's ballot numbers go on from either path's last
    receipts.append(ballotbox.cast(db, kit.vote_id, kit.ballot(batch[0], True), NOW))
    (out,) = ballotbox.cast_batch(db, kit.vote_id, [kit.ballot(single[0], False)], NOW)
    assert isinstance(out, Receipt)
    receipts.append(out)
    assert [r.height for r in receipts] == sorted(r.height for r in receipts)
    with db() as s:
        events = s.scalars(
            select(models.Event).where(models.Event.election_id == election_id).order_by(models.Event.height)
        ).all()
        records = {
            r.hash: r
            for r in s.scalars(select(models.Record).where(models.Record.election_id == election_id))
        }
        ballots = s.scalars(select(models.Ballot).where(models.Ballot.election_id == election_id)).all()
        confirmations = s.scalars(
            select(models.Outbox.tracker).where(
                models.Outbox.vote_id == kit.vote_id, models.Outbox.kind == "confirmation"
            )
        ).all()
    parent = None
    for ev in events:  # each event as Belenios writes it, chained to the one before, after its data
        assert (
            ev.content
            == BelEvent(parent, ev.height, ev.type, json.loads(ev.content).get("payload")).to_json()
        )
        assert ev.hash == hashlib.sha256(ev.content.encode()).hexdigest()
        parent = ev.hash
    seqs = sorted(r.seq for r in records.values())
    assert seqs == list(range(1, len(seqs) + 1))
    by_height = {ev.height: ev for ev in events}
    for r in receipts:
        ev = by_height[r.height]
        record = records[json.loads(ev.content)["payload"]]
        assert ev.type == "Ballot" and record.seq == ev.data_seq
        assert hashlib.sha256(record.content.encode()).hexdigest() == record.hash
    assert {b.tracker for b in ballots} == {r.tracker for r in receipts}
    assert sorted(b.seq for b in ballots if b.credential == ballots[0].credential)[0] == 1
    assert max(b.seq for b in ballots) == 2
    assert sorted(confirmations) == sorted(r.tracker for r in receipts)  # every member holds an email
    run_to_bundle(kit, tmp_path / "bundle")
