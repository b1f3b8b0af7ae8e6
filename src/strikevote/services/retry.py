"""Retrying a transaction that lost a race or its connection, with jittered exponential backoff."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from strikevote.services.errors import ServiceError

T = TypeVar("T")

# ATTEMPTS tries over about two seconds in all: long enough for a lock to be released or a connection pool to
# reconnect, short enough that a client waiting on a restarting database hears "try again" soon.
ATTEMPTS = 8
FIRST_PAUSE, MAX_PAUSE = 0.01, 0.5


def retrying(what: Callable[[], T], give_up: Callable[[str], ServiceError]) -> T:
    """Run ``what`` (one whole transaction); on a conflict or a lost connection, pause and run it again.

    IntegrityError: another writer took the same chain height or (credential, seq) first, and the retry re-reads.
    OperationalError: a lock timeout, a serialisation failure, the database restarting.  A retried commit whose
    acknowledgement was lost must be harmless: callers make their transactions idempotent.  After
    :data:`ATTEMPTS` tries, ``give_up(reason in words)`` is raised.
    """
    pause = FIRST_PAUSE
    last: DBAPIError | None = None
    for attempt in range(ATTEMPTS):
        if attempt:
            time.sleep(random.uniform(pause / 2, pause))
            pause = min(2 * pause, MAX_PAUSE)
        try:
            return what()
        except (IntegrityError, OperationalError) as exc:
            last = exc
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
            last = exc
    raise give_up(describe(last))


def describe(exc: BaseException | None) -> str:
    """A database error in words: the driver's first line, never SQLAlchemy's hints or the SQL."""
    if isinstance(exc, IntegrityError):
        return "another writer changed the same records at the same time"
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        lines = str(exc.orig).strip().splitlines()
        return lines[0] if lines else type(exc.orig).__name__
    return "the database is busy"
