"""The sender: delivers a vote's outbox through SMTP, resuming after a crash or a kill.

This module is what goes on the wire (connections, pacing, the lock-step groups); what the database knows —
the claims on the rows and the commits recording what became of them — is :mod:`.claims`.

A run: rows left ``sending`` by a dead sender go back to ``queued`` (reconcile); rows are claimed in batches
(``queued``/``deferred`` → ``sending`` under this run's random claim, committed before any byte goes out, with a
Message-ID fixed at the first claim and kept on every retry); they go out in groups, one message per SMTP
connection, every step of the group in lock-step (each command on all connections, then every reply).  Then,
per group: a transaction marks the group ``sent`` (a compare-and-set on the claim: a row another sender took
back is neither marked nor sent by this one); inside it, before its commit, the final dots are written, held
in the kernel (``TCP_CORK``: a copy each, no transmission); the commit; then the dots are pushed out and their
replies read.  A refusal of the dot sets the row back to ``deferred`` (4xx, retried with exponential backoff)
or ``failed`` (5xx, with the server's reply, recipient addresses masked).

What a kill or a crash of the sender can do (a message is delivered when the server reads its final dot;
a socket's held data is sent when the last process holding the socket lets go of it):

* before the dots of a group are written: nothing of the group is delivered (the server sees the connection
  close in the middle of DATA and discards the message); the rows read ``sending`` and are sent again by the
  next run, each once, under the same Message-ID;
* after the commit: every message of the group is delivered and reads ``sent``;
* between the first dot written and the commit — a span with no network wait in it (the dots are copies into
  the kernel, the commit is not flushed to disk: :meth:`.claims.Claims.mark_sent`), which
  ``SendReport.unguarded_s`` measures: a fraction of a millisecond a group, a few percent of a fast run's time
  (``bench/README.md``):
  with a **finisher** (:mod:`.finisher`, which `strikevote mail send`, `credentials issue --send`,
  `credentials resend` and the server's loop start), a helper process that holds a copy of every socket, the
  held dots stay held and the finisher asks the database whether the group was committed, then pushes them
  out or throws them away: exactly once.  Without one (or if the finisher too is gone, or slower than the
  kernel's 200 ms hold), the dead process's sockets send them: the group is delivered but its rows read
  ``sending``, so the next run sends them **again, under the same Message-ID**.

So a kill never loses a message, and with a finisher never sends one twice; without, it can duplicate one group
(``connections`` messages) if it lands in that span.  No SMTP command asks a server whether it has a message, so
a moment always separates the dot and the record of it: the finisher is what is still there at that moment,
and when nothing is, the duplicate (the same letter under the same Message-ID, which many mail stores and
readers show once) rather than the loss (a member without a credential) is on the far side of it.  A stop
(SIGTERM or SIGINT to a command, or the server's shutdown) takes effect between groups.  A connection lost
after a dot and before its reply (RFC 5321 §4.1.1.4 and RFC 1047: SMTP's known ambiguity) is retried: a
duplicate too, under the same Message-ID.  A power cut can undo a group's ``sent``: it is then sent again.

Credential letters need the credential authority's store (they are rendered at send time); without it, only
confirmations and reminders go out — which is what the server's background loop (:mod:`.loop`) does.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from strikevote.db import models
from strikevote.mail.claims import DEFAULT_BACKOFF, STALE_CLAIM, Backoff, Claims, SendReport, utcnow
from strikevote.mail.finisher import Finisher
from strikevote.mail.rendering import LetterRenderer, OutboxRow
from strikevote.mail.settings import MailPlan, MailSettings, smtp_password
from strikevote.mail.smtp import STEPS, Connection, Endpoint, LoginRefused, SmtpError, Unreachable
from strikevote.services.castore import CAStore, CAStoreError
from strikevote.services.errors import DefinitionError
from strikevote.services.votes import load_vote

# Callers import these from here; the claims' names among them live in :mod:`.claims`.
__all__ = [
    "ALL_KINDS",
    "DEFAULT_BACKOFF",
    "SERVER_KINDS",
    "STALE_CLAIM",
    "Backoff",
    "MailError",
    "SendReport",
    "mail_plan",
    "require_mail",
    "send_pending",
    "utcnow",
]

log = logging.getLogger("strikevote.mail")
ALL_KINDS = ("credential", "confirmation", "reminder")
SERVER_KINDS = ("confirmation", "reminder")  # what a sender without the authority's store can render


class MailError(DefinitionError):
    """Mail cannot be sent for this vote (no ``[mail]`` block)."""


def mail_plan(s: Session, vote_id: str) -> tuple[models.Vote, MailPlan]:
    vote, _ = load_vote(s, vote_id)
    return vote, MailPlan.from_json(vote.mail_settings)


def require_mail(s: Session, vote_id: str) -> MailSettings:
    _, plan = mail_plan(s, vote_id)
    if plan.mail is None:
        raise MailError(f"vote '{vote_id}' has no [mail] block in its vote file: no mail can be sent")
    return plan.mail


class _Run:
    """One pass over a vote's due messages: the SMTP side, over the rows its :class:`.claims.Claims` holds."""

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
        finisher: Finisher | None = None,
    ) -> None:
        self.settings, self.endpoint = settings, endpoint
        self.finisher = finisher if finisher is not None and finisher.alive else None
        self.kinds, self.stop, self.clock, self.progress = kinds, stop, clock, progress
        self.width = max(1, connections)
        self.report = SendReport()
        self.pool: list[Connection | None] = [None] * self.width
        self.interval = 60.0 / settings.rate if settings.rate else 0.0
        self.next_slot = time.monotonic()
        self.started_dots = 0.0
        with db() as s:
            self.renderer = LetterRenderer(s, vote_id, settings, store)
            bind = s.get_bind()
        self.claims = Claims(
            db,
            bind if isinstance(bind, Engine) else bind.engine,
            vote_id,
            settings.domain,
            kinds,
            backoff,
            honor_backoff,
            clock,
            claim_size,
            only_ids,
            stale_after,
            self.report,
        )

    def connection(self, slot: int) -> Connection:
        conn = self.pool[slot]
        if conn is None or not conn.alive:
            conn = self.pool[slot] = Connection(self.endpoint)
            if self.finisher is not None:
                self.finisher.adopt(slot, conn.tcp_socket)
        return conn

    def close(self) -> None:
        for slot, conn in enumerate(self.pool):
            if conn is not None:
                if conn.alive:
                    conn.close()
                if self.finisher is not None:
                    self.finisher.drop(slot)
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

    def group(self, rows: list[OutboxRow]) -> None:
        """Up to ``width`` messages, one per connection, in lock-step: each step's command on every
        connection and then every reply, the bodies, one commit marking the group sent, and every final dot
        before any reply to it is read."""
        live: list[tuple[OutboxRow, Connection]] = []
        data: dict[int, bytes] = {}
        problems: list[tuple[OutboxRow, int, str]] = []
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
            except LoginRefused:  # no message is to blame: the run stops, every row stays queued
                self.claims.settle(problems)
                raise
            except Unreachable as exc:
                problems.append((row, 0, str(exc)))
                if not live:  # nothing is going out: stop this run, the rest stays queued
                    self.claims.settle(problems)
                    raise
        for step in STEPS:
            live = self.each(live, problems, f"put {step}", sender, data)
            live = self.each(live, problems, step, sender, data)
        live = self.each(live, problems, "body", sender, data)
        if live:
            for _row, conn in live:
                conn.hold()
            dotted: list[tuple[OutboxRow, Connection, bool]] = []
            won: set[int] = set()

            def dots(held: set[int]) -> None:
                # Every dot held in the kernel (a copy each, no transmission), then the commit: from here to
                # the commit is the only moment a kill can send a message twice (see the module docstring),
                # unless the finisher, told first, settles the group.
                if self.finisher is not None:
                    self.finisher.arm(
                        self.claims.token,
                        [(self.pool.index(conn), row.id) for row, conn in live if row.id in held],
                    )
                self.started_dots = time.perf_counter()
                dotted.extend((row, conn, conn.send_dot()) for row, conn in live if row.id in held)
                won.update(held)

            try:
                self.claims.mark_sent([row.id for row, _ in live], dots)
            except BaseException:
                for _row, conn, _ok in dotted:  # not marked sent: the held dots must not go out
                    if self.finisher is not None:  # (a reset needs every copy of the socket closed)
                        self.finisher.drop(self.pool.index(conn))
                    conn.discard()
                raise
            self.report.unguarded_s += time.perf_counter() - self.started_dots
            self.report.groups += 1
            for row, conn in live:
                if row.id in won:
                    conn.push()
                else:  # reclaimed by another sender meanwhile: never write this dot
                    conn.abort()
            if self.finisher is not None:
                self.finisher.disarm()
            for row, conn, ok in dotted:
                code, reply = conn.reply() if ok else (0, "connection lost before the end of the message")
                if code == 250:
                    self.report.sent += 1
                    if self.progress:
                        self.progress(1)
                else:
                    problems.append((row, code, reply))
        self.claims.settle(problems)

    @staticmethod
    def each(
        live: list[tuple[OutboxRow, Connection]],
        problems: list[tuple[OutboxRow, int, str]],
        action: str,
        sender: str,
        data: dict[int, bytes],
    ) -> list[tuple[OutboxRow, Connection]]:
        """One action on every live connection: ``put STEP`` writes a step's command, ``STEP`` reads its
        reply, ``body`` writes the message; a connection that fails drops out of the group as a problem."""
        going: list[tuple[OutboxRow, Connection]] = []
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
        self.claims.reconcile()
        try:
            while not (self.stop is not None and self.stop.is_set()):
                rows = self.claims.claim()
                if not rows:
                    break
                self.renderer.prefetch(rows)
                for i in range(0, len(rows), self.width):
                    if self.stop is not None and self.stop.is_set():
                        break
                    self.group(rows[i : i + self.width])
                self.claims.release()
        except Unreachable as exc:
            self.report.unreachable = str(exc)
            self.report.login_refused = isinstance(exc, LoginRefused)
        finally:
            self.claims.release()
            self.close()
        if "credential" not in self.kinds:
            self.report.waiting_for_store = self.claims.waiting_for_store()
        return self.report


def send_pending(
    db: sessionmaker[Session],
    vote_id: str,
    *,
    store: CAStore | None = None,
    endpoint: Endpoint | None = None,
    connections: int = 8,
    backoff: Backoff = DEFAULT_BACKOFF,
    honor_backoff: bool = False,
    stop: threading.Event | None = None,
    clock: Callable[[], datetime] = utcnow,
    progress: Callable[[int], None] | None = None,
    claim_size: int = 256,
    only_ids: list[int] | None = None,
    stale_after: timedelta | None = None,
    finisher: Finisher | None = None,
) -> SendReport:
    """Send every due message of ``vote_id``; credential letters only when ``store`` is given.  With a
    ``finisher`` (:mod:`.finisher`), a kill of this process sends no message twice either.

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
        finisher,
    )
    return run.run()
