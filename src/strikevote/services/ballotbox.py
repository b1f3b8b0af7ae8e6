"""The ballot box: a ballot is acknowledged only after full verification and a durable commit.

Checks, in order: the vote is open and ``now`` is inside the window; the ballot names an election of this vote
and the right local; it parses (every point validated) and passes every Belenios check (signature, proofs); its
credential is on the local's list; the revote policy (``forbidden``: one ballot per credential, enforced by the
database's unique key so that of two concurrent casts exactly one wins; ``last-counts``: a later ballot
replaces the earlier one); not a replay of a ballot already on the board.  Then ballot, record and event are
committed in one transaction and the receipt (the smart ballot tracker) is returned.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from strikevote.belenios.ballot import BallotCheck, parse_ballot
from strikevote.belenios.election import Election as BelElection
from strikevote.belenios.errors import FormatError
from strikevote.db import models
from strikevote.mail.outbox import queue_confirmation
from strikevote.services.board import Board
from strikevote.services.errors import BallotRejected, NotFound
from strikevote.services.votes import load_vote

_CHECKERS: dict[str, BallotCheck] = {}
MAX_RETRIES = 20


@dataclass(frozen=True)
class Receipt:
    tracker: str
    local_id: str
    election_uuid: str
    height: int


@dataclass(frozen=True)
class Verified:
    raw: str
    tracker: str
    credential: str
    uuid: str


def _checker(election_json: str) -> BallotCheck:
    e = BelElection.parse(election_json)
    c = _CHECKERS.get(e.uuid)
    if c is None or c.election.raw != election_json:
        c = _CHECKERS[e.uuid] = BallotCheck(e)
    return c


def verify_ballot(election_json: str, raw: str) -> Verified:
    """Pure part of casting: parse and check one ballot (runs in worker processes for batches)."""
    checker = _checker(election_json)
    try:
        ballot = parse_ballot(checker.group, raw)
    except FormatError as exc:
        raise BallotRejected("invalid", str(exc)) from None
    failed = checker.failed_check(ballot)
    if failed == "ballot.election":
        raise BallotRejected("wrong-election", "the ballot was made for another election")
    if failed is not None:
        raise BallotRejected("invalid", f"failed {failed}")
    return Verified(raw, ballot.tracker, checker.group.encode(ballot.credential), ballot.election_uuid)


def _election_for(s: Session, vote_id: str, local_id: str | None, raw: str) -> models.Election:
    import json

    try:
        uuid = json.loads(raw).get("election_uuid")
    except (ValueError, AttributeError):
        raise BallotRejected("invalid", "not a JSON ballot") from None
    el = s.scalar(select(models.Election).where(models.Election.uuid == uuid))
    if el is None or el.vote_id != vote_id:
        raise BallotRejected("wrong-election", f"election {uuid!r} is not part of vote '{vote_id}'")
    if local_id is not None and el.local_id != local_id:
        raise BallotRejected("wrong-election", f"the ballot is for local {el.local_id}, not {local_id}")
    return el


def _check_open(s: Session, vote_id: str, now: datetime) -> str:
    vote, defn = load_vote(s, vote_id)
    if vote.state != "open":
        raise BallotRejected("closed", f"vote '{vote_id}' is {vote.state}, not open")
    if now < defn.opens:
        raise BallotRejected("not-open-yet", f"voting opens {defn.opens.isoformat()}")
    if now > defn.closes:
        raise BallotRejected("closed", f"voting closed {defn.closes.isoformat()}")
    return defn.revote


def _refusal(listed: bool, replay: bool, previous_seq: int, revote: str) -> BallotRejected | None:
    """The ballot box's policy, once for both casting paths."""
    if not listed:
        return BallotRejected("unknown-credential", "the credential is not on this local's list")
    if replay:
        return BallotRejected("duplicate", "this exact ballot was already cast (replay)")
    if previous_seq and revote == "forbidden":
        return BallotRejected(
            "revote", "a ballot was already cast with this credential (revoting is forbidden)"
        )
    return None


def _append(s: Session, board: Board, el: models.Election, v: Verified, seq: int, now: datetime) -> Receipt:
    """Ballot data, Ballot event and ballot row; ``seq`` is the credential's new ballot number."""
    h = board.add_data(v.raw, new=True)  # new: the tracker (hash of the same bytes) was checked unseen
    height, _ = board.add_event("Ballot", h)
    s.add(
        models.Ballot(
            election_id=el.id,
            credential=v.credential,
            seq=seq,
            tracker=v.tracker,
            record_hash=h,
            height=height,
            cast_at=now,
        )
    )
    queue_confirmation(s, el, v.credential, v.tracker, now)  # same transaction: every accepted cast confirmed
    return Receipt(v.tracker, el.local_id, el.uuid, height)


def _store(s: Session, el: models.Election, v: Verified, revote: str, now: datetime) -> Receipt:
    listed = s.get(models.Credential, (el.id, v.credential)) is not None
    replay = bool(
        s.scalar(
            select(func.count())
            .select_from(models.Ballot)
            .where(models.Ballot.election_id == el.id, models.Ballot.tracker == v.tracker)
        )
    )
    seq = (
        s.scalar(
            select(func.max(models.Ballot.seq)).where(
                models.Ballot.election_id == el.id, models.Ballot.credential == v.credential
            )
        )
        or 0
    )
    refusal = _refusal(listed, replay, seq, revote)
    if refusal is not None:
        raise refusal
    return _append(s, Board(s, el.id), el, v, seq + 1, now)


def cast(
    db: sessionmaker[Session], vote_id: str, raw: str, now: datetime, local_id: str | None = None
) -> Receipt:
    """Verify, commit durably, acknowledge.  Raises BallotRejected with a reason code."""
    for _attempt in range(MAX_RETRIES):
        try:
            with db.begin() as s:
                revote = _check_open(s, vote_id, now)
                el = _election_for(s, vote_id, local_id, raw)
                v = verify_ballot(el.election_json, raw)
                return _store(s, el, v, revote, now)
        except IntegrityError:
            # Another cast took the same chain height or the same (credential, seq): re-read and retry; under
            # ``forbidden`` the retry sees the winner's ballot and is refused as a revote.
            continue
        except OperationalError as exc:  # SQLite "database is locked" under heavy concurrency
            if "locked" not in str(exc):
                raise
            continue
    raise BallotRejected("busy", "the ballot box is too busy; try again")


def _verify_job(args: tuple[str, str]) -> Verified | BallotRejected:
    try:
        return verify_ballot(*args)
    except BallotRejected as exc:
        return exc


def cast_batch(
    db: sessionmaker[Session], vote_id: str, raws: Sequence[str], now: datetime, pool: Any = None
) -> list[Receipt | BallotRejected]:
    """Many ballots: verified in parallel (``pool``), committed together; each outcome in input order."""
    with db.begin() as s:
        revote = _check_open(s, vote_id, now)
        els = {
            el.uuid: el for el in s.scalars(select(models.Election).where(models.Election.vote_id == vote_id))
        }
    jobs: list[tuple[str, str] | BallotRejected] = []
    import json

    for raw in raws:
        try:
            uuid = json.loads(raw).get("election_uuid")
        except (ValueError, AttributeError):
            jobs.append(BallotRejected("invalid", "not a JSON ballot"))
            continue
        el = els.get(uuid)
        jobs.append(
            (el.election_json, raw) if el else BallotRejected("wrong-election", f"unknown election {uuid!r}")
        )
    todo = [j for j in jobs if not isinstance(j, BallotRejected)]
    verified = iter(pool.map(_verify_job, todo, chunksize=16) if pool is not None else map(_verify_job, todo))
    checked: list[Verified | BallotRejected] = [
        j if isinstance(j, BallotRejected) else next(verified) for j in jobs
    ]
    try:
        with db.begin() as s:
            return _store_batch(s, els, checked, revote, now)
    except (IntegrityError, OperationalError):
        # A concurrent writer moved a chain tip: fall back to one transaction per ballot, with retries.
        return [v if isinstance(v, BallotRejected) else _cast_verified(db, vote_id, v, now) for v in checked]


def _cast_verified(
    db: sessionmaker[Session], vote_id: str, v: Verified, now: datetime
) -> Receipt | BallotRejected:
    try:
        return cast(db, vote_id, v.raw, now)
    except BallotRejected as exc:
        return exc


def _store_batch(
    s: Session,
    els: dict[str, models.Election],
    checked: list[Verified | BallotRejected],
    revote: str,
    now: datetime,
) -> list[Receipt | BallotRejected]:
    """The checks of :func:`_store` for a whole batch with a few set queries, then one flush."""
    by_election: dict[int, list[Verified]] = {}
    for v in checked:
        if isinstance(v, Verified):
            by_election.setdefault(els[v.uuid].id, []).append(v)
    known: dict[int, set[str]] = {}
    last_seq: dict[tuple[int, str], int] = {}
    trackers: dict[int, set[str]] = {}
    boards: dict[int, Board] = {}
    for eid, vs in by_election.items():
        creds = sorted({v.credential for v in vs})
        known[eid], trackers[eid] = set(), set()
        for chunk in _chunks(creds, 500):
            known[eid].update(
                s.scalars(
                    select(models.Credential.public).where(
                        models.Credential.election_id == eid, models.Credential.public.in_(chunk)
                    )
                )
            )
            for cred, seq in s.execute(
                select(models.Ballot.credential, func.max(models.Ballot.seq))
                .where(models.Ballot.election_id == eid, models.Ballot.credential.in_(chunk))
                .group_by(models.Ballot.credential)
            ):
                last_seq[(eid, cred)] = seq
        for chunk in _chunks(sorted({v.tracker for v in vs}), 500):
            trackers[eid].update(
                s.scalars(
                    select(models.Ballot.tracker).where(
                        models.Ballot.election_id == eid, models.Ballot.tracker.in_(chunk)
                    )
                )
            )
        boards[eid] = Board(s, eid)
    outcomes: list[Receipt | BallotRejected] = []
    with s.no_autoflush:
        for v in checked:
            if isinstance(v, BallotRejected):
                outcomes.append(v)
                continue
            el = els[v.uuid]
            eid = el.id
            seq = last_seq.get((eid, v.credential), 0)
            refusal = _refusal(v.credential in known[eid], v.tracker in trackers[eid], seq, revote)
            if refusal is not None:
                outcomes.append(refusal)
                continue
            outcomes.append(_append(s, boards[eid], el, v, seq + 1, now))
            last_seq[(eid, v.credential)] = seq + 1
            trackers[eid].add(v.tracker)
    return outcomes


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def worker_pool(jobs: int | None = None) -> Any:
    ctx = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    return ctx.Pool(jobs or len(os.sched_getaffinity(0)))


def find_election(s: Session, vote_id: str, local_id: str) -> models.Election:
    el = s.scalar(
        select(models.Election).where(
            models.Election.vote_id == vote_id, models.Election.local_id == local_id
        )
    )
    if el is None:
        raise NotFound(f"vote '{vote_id}' has no local '{local_id}'")
    return el
