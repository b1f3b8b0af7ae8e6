"""The server's mail loop: scheduled reminders queued when their time comes, due messages sent, until stopped.

``strikevote serve`` runs :func:`run_sender` in a thread (:mod:`strikevote.web.mail_loop`); it sends what needs
no credential authority's store (confirmations and reminders) unless one is given, honours each message's
backoff, and takes back only rows whose claim is stale (a `mail send` may be running beside it).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from strikevote.db import models
from strikevote.mail.finisher import Finisher
from strikevote.mail.outbox import batch_done, queue_reminders
from strikevote.mail.sender import (
    DEFAULT_BACKOFF,
    STALE_CLAIM,
    Backoff,
    mail_plan,
    require_mail,
    send_pending,
    utcnow,
)
from strikevote.mail.settings import MailSettings, smtp_password
from strikevote.mail.smtp import Endpoint
from strikevote.services.castore import CAStore
from strikevote.services.votes import load_vote

log = logging.getLogger("strikevote.mail")


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
    backoff: Backoff = DEFAULT_BACKOFF,
    connections: int = 8,
    clock: Callable[[], datetime] = utcnow,
) -> None:
    """The background loop (``strikevote serve`` runs it in a thread): until ``stop`` is set, for every vote
    with a ``[mail]`` block, queue due scheduled reminders and send what is due (confirmations and reminders;
    credential letters too when ``store`` is given), honouring each message's backoff; with one finisher
    process (:mod:`.finisher`) for all its runs."""
    bind = db.kw.get("bind")
    finisher = Finisher.start(bind) if isinstance(bind, Engine) else None
    try:
        _loop(db, stop, poll_seconds, store, endpoint_for, backoff, connections, clock, finisher)
    finally:
        if finisher is not None:
            finisher.close()


def _loop(
    db: sessionmaker[Session],
    stop: threading.Event,
    poll_seconds: float,
    store: CAStore | None,
    endpoint_for: Callable[[MailSettings], Endpoint] | None,
    backoff: Backoff,
    connections: int,
    clock: Callable[[], datetime],
    finisher: Finisher | None,
) -> None:
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
                    finisher=finisher,
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
                    what = "refused the login" if report.login_refused else "unreachable"
                    log.warning("vote %s: mail server %s: %s", vote_id, what, report.unreachable)
            except Exception as exc:  # the loop must outlive one vote's problem; never log a password
                log.warning("vote %s: mail not sent: %s", vote_id, exc.__class__.__name__ + ": " + str(exc))
        stop.wait(poll_seconds)
