"""A sender that kills itself (SIGKILL) at a chosen point of its first group, for the finisher's tests.

    python tests/integration/mail_kill_point.py DB_URL VOTE STORE (span|committed) (finisher|alone)

``span``: after the group's dots are written (held) and before the commit that marks it sent; ``committed``:
right after that commit, before the dots are pushed out.  The store's passphrase comes from
``$STRIKEVOTE_CA_PASSPHRASE``.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

from strikevote.db.engine import open_db
from strikevote.mail import claims, sender
from strikevote.mail.finisher import Finisher
from strikevote.services.castore import CAStore


def main() -> None:
    url, vote, store, point, guard = sys.argv[1:6]
    db = open_db(url)
    ca = CAStore.open(Path(store), os.environ["STRIKEVOTE_CA_PASSPHRASE"])
    original = claims.Claims.mark_sent

    def mark_sent(held: claims.Claims, ids: list[int], then: Callable[[set[int]], None]) -> None:
        def dots_then_die(won: set[int]) -> None:
            then(won)
            if point == "span":
                os.kill(os.getpid(), signal.SIGKILL)

        original(held, ids, dots_then_die)
        if point == "committed":
            os.kill(os.getpid(), signal.SIGKILL)

    claims.Claims.mark_sent = mark_sent  # type: ignore[method-assign]
    finisher = Finisher.start(db.kw["bind"]) if guard == "finisher" else None
    sender.send_pending(db, vote, store=ca, finisher=finisher, connections=4)
    sys.exit("not killed")


if __name__ == "__main__":
    main()
