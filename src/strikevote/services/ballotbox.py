"""The ballot box: a ballot is acknowledged only after full verification and a durable commit.

Checks, in order: the vote is open and ``now`` is inside the window; the ballot names an election of this vote
and the right local; it parses (every point validated) and passes every Belenios check (signature, proofs); its
credential is on the local's list; the revote policy (``forbidden``: one ballot per credential, enforced by the
database's unique key so that of two concurrent casts exactly one wins; ``last-counts``: a later ballot
replaces the earlier one); not a replay of a ballot already on the board.  Then ballot, record and event are
committed in one transaction and the receipt (the smart ballot tracker) is returned.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from strikevote.belenios.ballot import BallotCheck, parse_ballot
from strikevote.belenios.codec import loads
from strikevote.belenios.election import ElectionParams
from strikevote.belenios.errors import FormatError
from strikevote.crypto.hashing import sha256_b64
from strikevote.db import models
from strikevote.db.engine import begin_write, engine_of, reading, writing
from strikevote.mail.outbox import queue_confirmation
from strikevote.records.checks import Check
from strikevote.services import cast_sql
from strikevote.services.board import Board
from strikevote.services.definition import VoteDefinition
from strikevote.services.errors import BallotRejected, NotFound
from strikevote.services.retry import retrying
from strikevote.services.votes import advisory_key, definition_of, load_vote, lock_chain, lock_vote

MAX_BALLOT_CHARS = 64 * 1024  # the HTTP API's limit too (DESIGN.md §11: 413 over 64 KiB)
MAX_UUID_CHARS = 64  # elections.uuid


@dataclass(frozen=True)
class Receipt:
    """What the voter keeps: the tracker and where the ballot is on the board.  ``resent`` is true when this
    exact ballot was already on the board (an identical re-send gets the original receipt back)."""

    tracker: str
    local_id: str
    election_uuid: str
    height: int
    resent: bool = False


@dataclass(frozen=True)
class Verified:
    raw: str
    tracker: str
    credential: str
    uuid: str


@functools.lru_cache(maxsize=64)
def _checker(election_json: str) -> BallotCheck:
    """One checker per election text (parsing election.json validates its public key: not on every cast)."""
    return BallotCheck(ElectionParams.parse(election_json))


def verify_ballot(election_json: str, raw: str) -> Verified:
    """Pure part of casting: parse and check one ballot (runs in worker processes for batches)."""
    checker = _checker(election_json)
    try:
        ballot = parse_ballot(checker.group, raw)
    except FormatError as exc:
        raise BallotRejected("invalid", str(exc)) from None
    failed = checker.failed_check(ballot)
    if failed is not None and failed.check is Check.BALLOT_ELECTION:
        raise BallotRejected("wrong-election", "the ballot was made for another election")
    if failed is not None:
        raise BallotRejected("invalid", f"failed {failed.name}")
    return Verified(raw, ballot.tracker, checker.group.encode(ballot.credential), ballot.election_uuid)


def election_uuid_of(raw: str) -> str:
    """The ``election_uuid`` a ballot names, checked to be a short string before it goes near SQL."""
    if len(raw) > MAX_BALLOT_CHARS:
        raise BallotRejected("invalid", f"a ballot is at most {MAX_BALLOT_CHARS} characters")
    try:
        obj = loads(raw, "ballot")
    except FormatError:
        raise BallotRejected("invalid", "not a JSON ballot") from None
    uuid = obj.get("election_uuid") if isinstance(obj, dict) else None
    if not isinstance(uuid, str) or not uuid or len(uuid) > MAX_UUID_CHARS:
        raise BallotRejected("invalid", "ballot.election_uuid: expected a string of at most 64 characters")
    return uuid


def _check_open(s: Session, vote_id: str, now: datetime, *, lock: bool = False) -> str:
    """The vote's revote policy, if it accepts ballots at ``now``.  With ``lock``, the vote's row is locked
    shared until the transaction ends, so that :func:`strikevote.services.tally.close_and_tally` (which locks
    it exclusively) cannot end the ballots between this check and the commit."""
    return _accepting(*(lock_vote(s, vote_id, exclusive=False) if lock else load_vote(s, vote_id)), now)


def _accepting(vote: models.Vote, defn: VoteDefinition, now: datetime) -> str:
    return _accepting_state(vote.id, vote.state, defn, now)


def _accepting_state(vote_id: str, state: str, defn: VoteDefinition, now: datetime) -> str:
    if state != "open":
        raise BallotRejected("closed", f"vote '{vote_id}' is {state}, not open")
    if now < defn.opens:
        raise BallotRejected("not-open-yet", f"voting opens {defn.opens.isoformat()}")
    if now > defn.closes:
        raise BallotRejected("closed", f"voting closed {defn.closes.isoformat()}")
    return defn.revote


def _refusal(listed: bool, previous_seq: int, revote: str) -> BallotRejected | None:
    """The ballot box's policy, once for both casting paths (an identical re-send was answered before)."""
    if not listed:
        return BallotRejected("unknown-credential", "the credential is not on this local's list")
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


def _busy(reason: str) -> BallotRejected:
    return BallotRejected(
        "busy", f"the ballot box could not commit the ballot ({reason}); nothing was stored"
    )


def cast(
    db: sessionmaker[Session], vote_id: str, raw: str, now: datetime, local_id: str | None = None
) -> Receipt:
    """Verify, commit durably, acknowledge.  Raises BallotRejected with a reason code.

    The ballot is verified outside any transaction; the write transaction then re-checks that the vote is open
    under the vote's shared lock and appends under the election's lock, so a concurrent close either waits for
    this ballot (and counts it) or refuses it as closed.  An identical re-send returns the original receipt.
    The statements are prebuilt (:mod:`strikevote.services.cast_sql`): this is the vote server's hot path.
    """
    uuid = election_uuid_of(raw)
    tracker = sha256_b64(raw)
    # One pool checkout (and one liveness ping) for the whole cast; a database that cannot be reached is "busy".
    with retrying(engine_of(db).connect, _busy) as conn:
        found = retrying(lambda: _look_up(conn, vote_id, local_id, uuid, tracker, now), _busy)
        if isinstance(found, Receipt):
            return found
        v = verify_ballot(found.election_json, raw)
        return retrying(lambda: _store_one(conn, vote_id, found, v, now), _busy)


def _look_up(
    conn: Connection, vote_id: str, local_id: str | None, uuid: str, tracker: str, now: datetime
) -> cast_sql.Found | Receipt:
    """Before verifying: the election the ballot names, in this vote (and ``local_id``), and open; or the
    receipt of this very ballot, already on the board (a re-send is answered even once the vote has closed)."""
    with reading(conn):
        found = cast_sql.look_up(conn, uuid, tracker)
        if found is None or found.vote_id != vote_id:
            if not cast_sql.vote_exists(conn, vote_id):
                raise NotFound(f"no vote '{vote_id}'")
            raise BallotRejected("wrong-election", f"election {uuid!r} is not part of vote '{vote_id}'")
    if local_id is not None and found.local_id != local_id:
        raise BallotRejected("wrong-election", f"the ballot is for local {found.local_id}, not {local_id}")
    if found.earlier_height is not None:
        return Receipt(tracker, found.local_id, found.uuid, found.earlier_height, resent=True)
    _accepting_state(vote_id, found.vote_state, definition_of(found.definition), now)
    return found


def _store_one(conn: Connection, vote_id: str, found: cast_sql.Found, v: Verified, now: datetime) -> Receipt:
    """The write transaction of :func:`cast`: under the locks, re-check that the vote is open, apply the policy
    and append."""
    with writing(conn):
        cast_sql.lock(conn, found.election_id, advisory_key(vote_id))
        at = cast_sql.position(conn, vote_id, found.election_id, v.credential, v.tracker)
        if at.vote_state is None:
            raise NotFound(f"no vote '{vote_id}'")
        revote = _accepting_state(vote_id, at.vote_state, definition_of(at.definition), now)
        if (
            at.earlier_height is not None
        ):  # the same ballot, committed meanwhile (or by a try whose ack was lost)
            return Receipt(v.tracker, found.local_id, found.uuid, at.earlier_height, resent=True)
        refusal = _refusal(at.listed, at.last_seq, revote)
        if refusal is not None:
            raise refusal
        height = cast_sql.append(conn, found, at, v.raw, v.credential, v.tracker, now)
        return Receipt(v.tracker, found.local_id, found.uuid, height)


def _verify_job(args: tuple[str, str]) -> Verified | BallotRejected:
    try:
        return verify_ballot(*args)
    except BallotRejected as exc:
        return exc


def cast_batch(
    db: sessionmaker[Session], vote_id: str, raws: Sequence[str], now: datetime, pool: Any = None
) -> list[Receipt | BallotRejected]:
    """Many ballots: verified in parallel (``pool``), committed together; each outcome in input order.

    A ballot refused (malformed, unknown credential…) is refused alone: the others are still cast."""

    def read() -> tuple[str, dict[str, models.Election]]:
        with db.begin() as s:
            revote = _check_open(s, vote_id, now)
            els = {
                el.uuid: el
                for el in s.scalars(select(models.Election).where(models.Election.vote_id == vote_id))
            }
            return revote, els

    _revote, els = retrying(read, _busy)
    jobs: list[tuple[str, str] | BallotRejected] = []
    for raw in raws:
        try:
            uuid = election_uuid_of(raw)
        except BallotRejected as exc:
            jobs.append(exc)
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

    def store() -> list[Receipt | BallotRejected]:
        with begin_write(db) as s:
            try:
                revote = _check_open(s, vote_id, now, lock=True)
            except BallotRejected as closed:
                return [v if isinstance(v, BallotRejected) else closed for v in checked]
            return _store_batch(s, els, checked, revote, now)

    try:
        return store()
    except (IntegrityError, OperationalError):
        # A conflict or a lost connection: one transaction per ballot, each retried (a ballot the failed batch
        # did commit is answered with its original receipt).
        return [v if isinstance(v, BallotRejected) else _cast_one(db, vote_id, v, now) for v in checked]


def _cast_one(
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
    on_board: dict[tuple[int, str], Receipt] = {}
    boards: dict[int, Board] = {}
    by_id = {el.id: el for el in els.values()}
    for eid in sorted(by_election):  # locks in id order: two batches cannot deadlock
        vs = by_election[eid]
        el = by_id[eid]
        lock_chain(s, eid)
        creds = sorted({v.credential for v in vs})
        known[eid] = set()
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
            for tracker, height in s.execute(
                select(models.Ballot.tracker, models.Ballot.height).where(
                    models.Ballot.election_id == eid, models.Ballot.tracker.in_(chunk)
                )
            ):
                on_board[(eid, tracker)] = Receipt(tracker, el.local_id, el.uuid, height, resent=True)
        boards[eid] = Board(s, eid)
    outcomes: list[Receipt | BallotRejected] = []
    with s.no_autoflush:
        for v in checked:
            if isinstance(v, BallotRejected):
                outcomes.append(v)
                continue
            el = els[v.uuid]
            eid = el.id
            earlier = on_board.get((eid, v.tracker))
            if earlier is not None:
                outcomes.append(earlier)
                continue
            seq = last_seq.get((eid, v.credential), 0)
            refusal = _refusal(v.credential in known[eid], seq, revote)
            if refusal is not None:
                outcomes.append(refusal)
                continue
            receipt = _append(s, boards[eid], el, v, seq + 1, now)
            outcomes.append(receipt)
            last_seq[(eid, v.credential)] = seq + 1
            on_board[(eid, v.tracker)] = Receipt(v.tracker, el.local_id, el.uuid, receipt.height, resent=True)
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
