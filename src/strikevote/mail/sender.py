"""The sender: delivers a vote's outbox through SMTP, resuming after a crash without sending twice.

Per run: rows left ``sending`` by a dead sender are put back to ``queued`` (reconcile: such a message never got
its final dot, see :mod:`.smtp`); rows are claimed in batches (``queued``/``deferred`` → ``sending`` under this
run's random claim, with a Message-ID fixed at the first claim and kept on every retry); each message's body
goes out on one of several parallel SMTP connections, then one commit marks the whole group ``sent`` (a
compare-and-set on the claim, so a row reclaimed by another sender is not sent by this one) and only then are
the final dots written.  A refusal after the dot puts the row back to ``deferred`` (4xx, retried with
exponential backoff) or ``failed`` (5xx, with the server's reply).  Several connections let one durable commit
(an fsync) cover several messages.

Credential letters need the credential authority's store (they are rendered at send time); without it, only
confirmations and reminders go out — which is what the server's background loop (:func:`run_sender`) does.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from strikevote.db import models
from strikevote.mail.letters import VoteFacts, build_message, new_message_id, render
from strikevote.mail.outbox import batch_done, queue_reminders
from strikevote.mail.settings import MailPlan, MailSettings, smtp_password
from strikevote.mail.smtp import STEPS, Connection, Endpoint, SmtpError, Unreachable
from strikevote.services import credentials
from strikevote.services.castore import CAStore, CAStoreError, StoredCredential
from strikevote.services.errors import DefinitionError
from strikevote.services.votes import load_vote

log = logging.getLogger("strikevote.mail")
_ADDRESS = re.compile(r"[^\s<>()\[\]\"',;:]+@[^\s<>()\[\]\"',;:]+")
ALL_KINDS = ("credential", "confirmation", "reminder")
SERVER_KINDS = ("confirmation", "reminder")  # what a sender without the authority's store can render
#: The background loop takes back a 'sending' row only when its claim is this old (an SMTP transaction is
#: bounded by the 30 s socket timeout per step); an explicit `mail send` takes them all back at once.
STALE_CLAIM = timedelta(minutes=10)


class MailError(DefinitionError):
    """Mail cannot be sent for this vote (no ``[mail]`` block)."""


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Backoff:
    """Deferred messages wait ``base · factor^(attempts-1)`` seconds (at most ``maximum``); after
    ``max_attempts`` temporary failures a message is failed."""

    base: float = 60.0
    factor: float = 2.0
    maximum: float = 3600.0
    max_attempts: int = 12

    def delay(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(self.maximum, self.base * self.factor ** max(0, attempts - 1)))


@dataclass
class SendReport:
    sent: int = 0
    deferred: int = 0
    failed: int = 0
    reconciled: int = 0  # rows a dead sender left 'sending', put back to 'queued'
    waiting_for_store: int = 0  # credential letters left for a sender with the authority's store
    unreachable: str | None = None
    replies: list[str] = field(default_factory=list)  # distinct refusals seen (no recipient)


def mail_plan(s: Session, vote_id: str) -> tuple[models.Vote, MailPlan]:
    vote, _ = load_vote(s, vote_id)
    return vote, MailPlan.from_json(vote.mail_settings)


def require_mail(s: Session, vote_id: str) -> MailSettings:
    _, plan = mail_plan(s, vote_id)
    if plan.mail is None:
        raise MailError(f"vote '{vote_id}' has no [mail] block in its vote file: no mail can be sent")
    return plan.mail


@dataclass(frozen=True)
class _Local:
    name: str
    question: str
    uuid: str
    fingerprint: str
    credentials_fingerprint: str


class _Renderer:
    """Everything a vote's letters say, loaded once per run; renders one row to bytes."""

    def __init__(self, s: Session, vote_id: str, settings: MailSettings, store: CAStore | None) -> None:
        _, defn = load_vote(s, vote_id)
        self.vote_id = vote_id
        self.settings = settings
        self.store = store
        self.facts = VoteFacts(vote_id, defn.union, defn.title, defn.opens, defn.closes, defn.timezone)
        self.credentials: dict[str, StoredCredential] = {}
        self.locals: dict[str, _Local] = {}
        for el in s.scalars(select(models.Election).where(models.Election.vote_id == vote_id)):
            local = defn.local(el.local_id)
            self.locals[el.local_id] = _Local(
                local.name,
                local.question,
                el.uuid,
                el.fingerprint,
                credentials.credentials_fingerprint(s, el),
            )

    def prefetch(self, rows: list[_Row]) -> None:
        """Read the stored credentials of a claimed batch's letters at once (one store connection, not one a
        letter); only this batch's are held, so memory does not grow with the outbox."""
        self.credentials = {}
        wanted = [row.member_id for row in rows if row.kind == "credential"]
        if wanted and self.store is not None:
            self.credentials = self.store.get_many(self.vote_id, wanted)

    def message(self, row: _Row, now: datetime) -> bytes:
        local = self.locals.get(row.local_id)
        fields: dict[str, Any] = {"name": row.name, "local_name": local.name if local else row.local_id}
        if row.kind == "credential":
            if self.store is None or local is None:
                raise CAStoreError("credential letters need the credential authority's store")
            stored = self.credentials.get(row.member_id) or self.store.get(self.vote_id, row.member_id)
            if stored.uuid != local.uuid:
                raise CAStoreError(f"the stored credential of '{row.member_id}' is for another election")
            fields.update(
                question=local.question,
                uuid=local.uuid,
                credential=stored.credential,
                election_fingerprint=local.fingerprint,
                credentials_fingerprint=local.credentials_fingerprint,
            )
        elif row.kind == "confirmation":
            fields["tracker"] = row.tracker or ""
        rendered = render(row.kind, row.language, self.facts, self.settings, **fields)
        return build_message(
            rendered,
            self.settings,
            row.name,
            row.email,
            row.message_id,
            now,
            automatic=row.kind != "credential",
        )


@dataclass(frozen=True)
class _Row:
    id: int
    member_id: str
    local_id: str
    email: str
    language: str
    kind: str
    tracker: str | None
    message_id: str
    attempts: int
    name: str


class _Run:
    """One pass over a vote's due messages."""

    def __init__(
        self,
        db: sessionmaker[Session],
        vote_id: str,
        settings: MailSettings,
        endpoint: Endpoint,
        store: CAStore | None,
        kinds: tuple[str, ...],
        connections: int,
        backoff: Backoff,
        honor_backoff: bool,
        stop: threading.Event | None,
        clock: Callable[[], datetime],
        progress: Callable[[int], None] | None,
        claim_size: int,
        only_ids: list[int] | None = None,
        stale_after: timedelta | None = None,
    ) -> None:
        self.db, self.vote_id, self.settings, self.endpoint = db, vote_id, settings, endpoint
        self.store, self.kinds, self.backoff, self.honor_backoff = store, kinds, backoff, honor_backoff
        self.stop, self.clock, self.progress, self.claim_size = stop, clock, progress, claim_size
        self.only_ids = only_ids
        self.stale_after = stale_after
        self.width = max(1, connections)
        self.token = secrets.token_hex(16)
        self.started = clock()
        self.report = SendReport()
        self.pool: list[Connection | None] = [None] * self.width
        self.interval = 60.0 / settings.rate if settings.rate else 0.0
        self.next_slot = time.monotonic()
        with db() as s:
            self.renderer = _Renderer(s, vote_id, settings, store)

    # -- database steps ------------------------------------------------------------------------------------

    def reconcile(self) -> None:
        """Rows another sender left ``sending`` go back to ``queued``: all of them (a restart after a crash),
        or only those claimed more than ``stale_after`` ago (the server's loop, which may run beside a live
        `mail send`).  Either way the compare-and-set in :meth:`mark_sent` keeps a live owner from sending a
        row taken from it."""
        o = models.Outbox
        where = [o.vote_id == self.vote_id, o.status == "sending"]
        if self.stale_after is not None:
            where.append(o.claimed_at < self.clock() - self.stale_after)
        with self.db.begin() as s:
            result = s.execute(
                update(o)
                .where(*where)
                .values(status="queued", claim=None)
                .execution_options(synchronize_session=False)
            )
            self.report.reconciled = int(getattr(result, "rowcount", 0) or 0)

    def claim(self) -> list[_Row]:
        o, t = models.Outbox, cast(Table, models.Outbox.__table__)
        now = self.clock()
        with self.db.begin() as s:
            q = select(o.id).where(
                o.vote_id == self.vote_id, o.status.in_(("queued", "deferred")), o.kind.in_(self.kinds)
            )
            if self.only_ids is not None:
                q = q.where(o.id.in_(self.only_ids))
            if self.honor_backoff:
                q = q.where(or_(o.next_attempt_at.is_(None), o.next_attempt_at <= now))
            else:  # an explicit `mail send`: retry deferred messages now, each once per run
                q = q.where(or_(o.claimed_at.is_(None), o.claimed_at < self.started))
            ids = list(s.scalars(q.order_by(o.id).limit(self.claim_size)))
            if not ids:
                return []
            s.execute(
                update(t)
                .where(t.c.id == bindparam("b_id"), or_(t.c.status == "queued", t.c.status == "deferred"))
                .values(
                    status="sending",
                    claim=self.token,
                    claimed_at=now,
                    message_id=func.coalesce(t.c.message_id, bindparam("b_mid")),
                ),
                [
                    {"b_id": i, "b_mid": new_message_id(f"{i}.{secrets.token_hex(8)}", self.settings.domain)}
                    for i in ids
                ],
            )
            m = models.Member
            rows = s.execute(
                select(o.id, o.member_id, o.local_id, o.email, o.language, o.kind, o.tracker, o.message_id)
                .add_columns(o.attempts, m.name)
                .join(m, (m.vote_id == o.vote_id) & (m.member_id == o.member_id))
                .where(o.id.in_(ids), o.claim == self.token, o.status == "sending")
                .order_by(o.id)
            ).all()
        return [_Row(*r) for r in rows]

    def mark_sent(self, ids: list[int]) -> set[int]:
        """The compare-and-set before the dots: the ids this run still holds, now ``sent``."""
        o = models.Outbox
        now = self.clock()
        with self.db.begin() as s:
            s.execute(
                update(o)
                .where(o.id.in_(ids), o.claim == self.token, o.status == "sending")
                .values(status="sent", sent_at=now, attempts=o.attempts + 1, last_error=None)
                .execution_options(synchronize_session=False)
            )
            return set(
                s.scalars(select(o.id).where(o.id.in_(ids), o.claim == self.token, o.status == "sent"))
            )

    def settle(self, outcomes: list[tuple[_Row, int, str]]) -> None:
        """Rows that did not go out: ``(row, code, reply)``; 5xx → failed, else deferred (or failed after too
        many attempts)."""
        if not outcomes:
            return
        o = models.Outbox
        now = self.clock()
        with self.db.begin() as s:
            for row, code, reply in outcomes:
                attempts = row.attempts + 1
                permanent = 500 <= code < 600
                if not permanent and attempts >= self.backoff.max_attempts:
                    permanent, reply = True, f"gave up after {attempts} attempts; last: {reply}"
                # Servers often echo the recipient ("<ann@x>: no such user"): an officials' view of a failed
                # reminder must not name who has not voted, so addresses are never kept.
                text = _ADDRESS.sub("<address>", f"{code} {reply}" if code else reply)
                values: dict[str, Any] = {
                    "attempts": attempts,
                    "last_error": text[:1000],
                    "claim": None,
                    "sent_at": None,
                    "status": "failed" if permanent else "deferred",
                    "next_attempt_at": None if permanent else now + self.backoff.delay(attempts),
                }
                s.execute(
                    update(o)
                    .where(o.id == row.id, o.claim == self.token)
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )
                if permanent:
                    self.report.failed += 1
                else:
                    self.report.deferred += 1
                if text not in self.report.replies and len(self.report.replies) < 20:
                    self.report.replies.append(text)

    def release(self) -> None:
        """Rows claimed but not attempted (a stop or an unreachable server) go back, untouched."""
        o = models.Outbox
        with self.db.begin() as s:
            s.execute(
                update(o)
                .where(o.claim == self.token, o.status == "sending")
                .values(status="queued", claim=None)
                .execution_options(synchronize_session=False)
            )

    # -- SMTP ----------------------------------------------------------------------------------------------

    def connection(self, slot: int) -> Connection:
        conn = self.pool[slot]
        if conn is None or not conn.alive:
            conn = self.pool[slot] = Connection(self.endpoint)
        return conn

    def close(self) -> None:
        for conn in self.pool:
            if conn is not None and conn.alive:
                conn.close()
        self.pool = [None] * self.width

    def pace(self) -> None:
        if not self.interval:
            return
        wait = self.next_slot - time.monotonic()
        if wait > 0:
            if self.stop is not None:
                self.stop.wait(wait)
            else:
                time.sleep(wait)
        self.next_slot = max(self.next_slot, time.monotonic()) + self.interval

    def group(self, rows: list[_Row]) -> None:
        """Up to ``width`` messages, one per connection, in lock-step: each step's command on every
        connection and then every reply, the bodies, one commit marking the group sent, and every final dot
        before any reply to it is read."""
        live: list[tuple[_Row, Connection]] = []
        data: dict[int, bytes] = {}
        problems: list[tuple[_Row, int, str]] = []
        sender = self.settings.from_address
        for slot, row in enumerate(rows):
            self.pace()
            try:
                data[row.id] = self.renderer.message(row, self.clock())
            except CAStoreError as exc:
                problems.append((row, 550, str(exc)))
                continue
            try:
                live.append((row, self.connection(slot)))
            except Unreachable as exc:
                problems.append((row, 0, str(exc)))
                if not live:  # nothing is going out: stop this run, the rest stays queued
                    self.settle(problems)
                    raise
        for step in STEPS:
            live = self.each(live, problems, f"put {step}", sender, data)
            live = self.each(live, problems, step, sender, data)
        live = self.each(live, problems, "body", sender, data)
        if live:
            won = self.mark_sent([row.id for row, _ in live])
            # The dots right after the commit, all of them before any reply is read: this loop is the only
            # moment a kill can lose a message (see the module docstring).
            dotted = [(row, conn, conn.send_dot()) for row, conn in live if row.id in won]
            for row, conn in live:
                if row.id not in won:  # reclaimed by another sender meanwhile: never write this dot
                    conn.abort()
            for row, conn, ok in dotted:
                code, reply = conn.reply() if ok else (0, "connection lost before the end of the message")
                if code == 250:
                    self.report.sent += 1
                    if self.progress:
                        self.progress(1)
                else:
                    problems.append((row, code, reply))
        self.settle(problems)

    @staticmethod
    def each(
        live: list[tuple[_Row, Connection]],
        problems: list[tuple[_Row, int, str]],
        action: str,
        sender: str,
        data: dict[int, bytes],
    ) -> list[tuple[_Row, Connection]]:
        """One action on every live connection: ``put STEP`` writes a step's command, ``STEP`` reads its
        reply, ``body`` writes the message; a connection that fails drops out of the group as a problem."""
        going: list[tuple[_Row, Connection]] = []
        for row, conn in live:
            try:
                if action == "body":
                    conn.put_body(data[row.id])
                elif action.startswith("put "):
                    conn.put(action.removeprefix("put "), sender, row.email)
                else:
                    conn.expect(action)
            except SmtpError as exc:
                problems.append((row, exc.code, f"{exc.reply} (after {exc.phase})"))
                continue
            going.append((row, conn))
        return going

    def run(self) -> SendReport:
        self.reconcile()
        try:
            while not (self.stop is not None and self.stop.is_set()):
                rows = self.claim()
                if not rows:
                    break
                self.renderer.prefetch(rows)
                for i in range(0, len(rows), self.width):
                    if self.stop is not None and self.stop.is_set():
                        break
                    self.group(rows[i : i + self.width])
                self.release()
        except Unreachable as exc:
            self.report.unreachable = str(exc)
        finally:
            self.release()
            self.close()
        if "credential" not in self.kinds:
            o = models.Outbox
            with self.db() as s:
                self.report.waiting_for_store = int(
                    s.scalar(
                        select(func.count())
                        .select_from(o)
                        .where(
                            o.vote_id == self.vote_id,
                            o.kind == "credential",
                            o.status.in_(("queued", "deferred")),
                        )
                    )
                    or 0
                )
        return self.report


def send_pending(
    db: sessionmaker[Session],
    vote_id: str,
    *,
    store: CAStore | None = None,
    endpoint: Endpoint | None = None,
    connections: int = 8,
    backoff: Backoff = Backoff(),
    honor_backoff: bool = False,
    stop: threading.Event | None = None,
    clock: Callable[[], datetime] = utcnow,
    progress: Callable[[int], None] | None = None,
    claim_size: int = 256,
    only_ids: list[int] | None = None,
    stale_after: timedelta | None = None,
) -> SendReport:
    """Send every due message of ``vote_id``; credential letters only when ``store`` is given.

    :raises MailError: the vote has no ``[mail]`` block.
    :raises MailConfigError: the SMTP password cannot be read.
    """
    with db() as s:
        settings = require_mail(s, vote_id)
    if endpoint is None:
        endpoint = Endpoint.of(settings, smtp_password(settings))
    kinds = ALL_KINDS if store is not None else SERVER_KINDS
    run = _Run(
        db,
        vote_id,
        settings,
        endpoint,
        store,
        kinds,
        connections,
        backoff,
        honor_backoff,
        stop,
        clock,
        progress,
        claim_size,
        only_ids,
        stale_after,
    )
    return run.run()


def queue_due_reminders(db: sessionmaker[Session], vote_id: str, now: datetime) -> int:
    """Queue each scheduled reminder round (``[reminders] at``) whose time has come, once; how many."""
    with db() as s:
        vote, plan = mail_plan(s, vote_id)
        _, defn = load_vote(s, vote_id)
        due = [
            at
            for at in plan.reminders
            if at <= now < defn.closes and not batch_done(s, vote_id, f"scheduled:{at.isoformat()}")
        ]
        state = vote.state
    if state != "open":
        return 0
    return sum(queue_reminders(db, vote_id, now, f"scheduled:{at.isoformat()}") for at in due)


def run_sender(
    db: sessionmaker[Session],
    stop: threading.Event,
    *,
    poll_seconds: float = 5.0,
    store: CAStore | None = None,
    endpoint_for: Callable[[MailSettings], Endpoint] | None = None,
    backoff: Backoff = Backoff(),
    connections: int = 8,
    clock: Callable[[], datetime] = utcnow,
) -> None:
    """The background loop (``strikevote serve`` runs it in a thread): until ``stop`` is set, for every vote
    with a ``[mail]`` block, queue due scheduled reminders and send what is due (confirmations and reminders;
    credential letters too when ``store`` is given), honouring each message's backoff."""
    while not stop.is_set():
        with db() as s:
            votes = list(
                s.scalars(
                    select(models.Vote.id).where(
                        models.Vote.mail_settings.is_not(None), models.Vote.state != "keys"
                    )
                )
            )
        for vote_id in votes:
            if stop.is_set():
                break
            try:
                queued = queue_due_reminders(db, vote_id, clock())
                if queued:
                    log.info("vote %s: %d reminder(s) queued", vote_id, queued)
                with db() as s:
                    settings = require_mail(s, vote_id)
                endpoint = (
                    endpoint_for(settings) if endpoint_for else Endpoint.of(settings, smtp_password(settings))
                )
                report = send_pending(
                    db,
                    vote_id,
                    store=store,
                    endpoint=endpoint,
                    connections=connections,
                    backoff=backoff,
                    honor_backoff=True,
                    stop=stop,
                    clock=clock,
                    stale_after=STALE_CLAIM,
                )
                if report.sent or report.deferred or report.failed:
                    log.info(
                        "vote %s: %d sent, %d deferred, %d failed",
                        vote_id,
                        report.sent,
                        report.deferred,
                        report.failed,
                    )
                if report.unreachable:
                    log.warning("vote %s: mail server unreachable: %s", vote_id, report.unreachable)
            except Exception as exc:  # the loop must outlive one vote's problem; never log a password
                log.warning("vote %s: mail not sent: %s", vote_id, exc.__class__.__name__ + ": " + str(exc))
        stop.wait(poll_seconds)


def start_sender_thread(db: sessionmaker[Session], **kwargs: Any) -> tuple[threading.Thread, threading.Event]:
    """:func:`run_sender` in a daemon thread; set the event and join the thread to stop it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run_sender, args=(db, stop), kwargs=kwargs, name="strikevote-mail", daemon=True
    )
    thread.start()
    return thread, stop
