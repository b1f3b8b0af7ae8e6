"""The mail outbox sender as one of the server's background loops (``AppState.background``).

:func:`strikevote.mail.loop.run_sender` is blocking (smtplib), so it runs in a thread; cancelling the task at
shutdown sets its stop event and waits for the thread to finish the message it is on.  Without the credential
authority's store the server sends confirmations and reminders (and queues scheduled reminders), never
credential letters.  ``STRIKEVOTE_MAIL=0`` turns it off (``strikevote serve --no-mail``).
"""

from __future__ import annotations

import asyncio
import os
import threading
from typing import Final

from strikevote.mail.loop import run_sender
from strikevote.web.deps import AppState

ENV_MAIL: Final = "STRIKEVOTE_MAIL"


def mail_enabled() -> bool:
    return os.environ.get(ENV_MAIL, "1") != "0"


async def mail_loop(state: AppState) -> None:
    stop = threading.Event()
    thread = threading.Thread(target=run_sender, args=(state.db, stop), name="strikevote-mail", daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            await asyncio.sleep(0.5)
    finally:
        stop.set()
        await asyncio.to_thread(thread.join, 60)
