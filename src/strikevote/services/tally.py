"""Closing the vote and computing each local's encrypted tally (the product of the counted ballots)."""

from __future__ import annotations

import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from strikevote.belenios.ballot import parse_ballot
from strikevote.belenios.election import Election as BelElection
from strikevote.belenios.tally import (
    EncryptedTally,
    SizedTally,
    add_to_tally,
    empty_tally,
    parse_tally,
    tally_json,
)
from strikevote.db import models
from strikevote.services.board import Board
from strikevote.services.errors import StateError
from strikevote.services.votes import elections, load_vote, require_state


def counted_ballots(s: Session, election_id: int) -> list[str]:
    """The last ballot of each credential (Belenios ``last()``), raw, in cast order."""
    latest = (
        select(models.Ballot.credential, func.max(models.Ballot.seq).label("seq"))
        .where(models.Ballot.election_id == election_id)
        .group_by(models.Ballot.credential)
        .subquery()
    )
    rows = s.execute(
        select(models.Record.content)
        .join(
            models.Ballot,
            (models.Ballot.election_id == models.Record.election_id)
            & (models.Ballot.record_hash == models.Record.hash),
        )
        .join(latest, (latest.c.credential == models.Ballot.credential) & (latest.c.seq == models.Ballot.seq))
        .where(models.Ballot.election_id == election_id)
        .order_by(models.Ballot.height)
    )
    return [r[0] for r in rows]


def close_and_tally(db: sessionmaker[Session], vote_id: str) -> dict[str, int]:
    """End the ballots of every local and publish its encrypted tally.  Returns ballots counted per local."""
    counted: dict[str, int] = {}
    with db.begin() as s:
        vote, _defn = load_vote(s, vote_id)
        require_state(vote, "open")
        for el in elections(s, vote_id):
            election = BelElection.parse(el.election_json)
            g = election.group
            tally = empty_tally(election)
            raws = counted_ballots(s, el.id)
            for raw in raws:
                add_to_tally(g, tally, parse_ballot(g, raw).answers)
            board = Board(s, el.id)
            board.add_event("EndBallots")
            h = board.add_data(tally_json(g, tally))
            board.add_event("EncryptedTally", board.add_data(SizedTally(len(raws), len(raws), h).to_json()))
            counted[el.local_id] = len(raws)
        vote.state = "closed"
    return counted


def encrypted_tally_of(
    s: Session, el: models.Election, election: BelElection
) -> tuple[EncryptedTally, SizedTally]:
    from strikevote.services.board import payloads

    sized_raw = next(payloads(s, el.id, "EncryptedTally"), None)
    if sized_raw is None:
        raise StateError(f"local {el.local_id} has no encrypted tally yet")
    sized = SizedTally.parse(sized_raw)
    rec = s.get(models.Record, (el.id, sized.encrypted_tally))
    if rec is None:
        raise StateError(f"local {el.local_id}: encrypted tally record missing")
    return parse_tally(election, rec.content), sized


def partial_owners(s: Session, el: models.Election) -> list[int]:
    from strikevote.services.board import payloads

    return [int(json.loads(p)["owner"]) for p in payloads(s, el.id, "PartialDecryption")]
