"""The finisher: a small process that settles the group of messages a killed sender leaves half done.

A sender writes a group's final dots held in the kernel (``TCP_CORK``) and then commits the rows ``sent``
(:mod:`.sender`; the commit is :meth:`.claims.Claims.mark_sent`).  If it dies in between, the kernel would
close its sockets and send the held dots: the messages arrive, their rows read ``sending``, and the next run
sends them again.  The finisher closes that gap.
It is started with the sender, holds a duplicate of every SMTP socket the sender opens (passed over a Unix
socket with ``SCM_RIGHTS``), and is told, before any dot of a group is written, which row rides on which
socket.  A socket stays open while either process holds it, so when the sender dies the held dots stay held,
and the finisher, woken by the end of its channel, asks the database — in a write transaction, which makes
the answer final (an interrupted SQLite commit either is recovered and seen, or is overwritten by this write;
PostgreSQL's row locks wait for the dead session's end) — whether the group was committed: then it pushes the
dots out; if not, it puts the rows back to ``queued`` and resets the sockets, which throws the held dots away
and makes the server discard the messages.  Either way each message is delivered exactly once.

Limits (see :mod:`.sender`): Linux holds corked data at most 200 ms, so a finisher slower than that to decide
leaves the duplicate the sender alone would; a kill of both processes at once (the machine, a whole control
group) is the sender alone's case.  The finisher never sends anything but a held dot and never reads mail.

Run as ``python -m strikevote.mail.finisher FD`` by :meth:`Finisher.start`; the database URL comes over the
channel (it may hold a password: never on a command line).
"""

from __future__ import annotations

import json
import logging
import socket
import struct
import subprocess
import sys
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from strikevote.db import models
from strikevote.db.engine import begin_write, make_engine

log = logging.getLogger("strikevote.mail")
_CORK = getattr(socket, "TCP_CORK", None)
READY_WITHIN = 30.0  # seconds for the finisher process to start and connect to the database


class Finisher:
    """The sender's end: starts the finisher process with the first connection and tells it about
    connections and groups.  If the process cannot be started or goes away, sending goes on without it
    (:attr:`alive` false)."""

    def __init__(self, engine: Engine) -> None:
        self._url = engine.url.render_as_string(hide_password=False)  # for the channel, never argv
        self._proc: subprocess.Popen[bytes] | None = None
        self._channel: socket.socket | None = None
        self._ready = False
        self.alive = True

    @staticmethod
    def start(engine: Engine) -> Finisher | None:
        """A finisher for senders writing to ``engine``'s database (its process starts with the first SMTP
        connection: a run with nothing to send costs nothing); ``None`` where it cannot run (no
        ``SOCK_SEQPACKET`` Unix sockets or no ``TCP_CORK``: not Linux)."""
        if getattr(socket, "SOCK_SEQPACKET", None) is None or _CORK is None:  # pragma: no cover - not Linux
            return None
        return Finisher(engine)

    def _spawn(self) -> None:
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "strikevote.mail.finisher", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # a Ctrl-C at the terminal stops the sender, not its finisher
            )
        except OSError as exc:  # pragma: no cover - no interpreter to start
            log.warning("mail: no finisher (%s); a kill may send a group twice", exc)
            mine.close()
            self.alive = False
            return
        finally:
            theirs.close()
        self._channel = mine
        self._send({"db": self._url})

    def adopt(self, slot: int, sock: socket.socket) -> None:
        """Connection ``slot`` is now ``sock`` (any earlier one of that slot is forgotten)."""
        if self._proc is None and self.alive:
            self._spawn()
        self._send({"conn": slot}, sock.fileno())

    def drop(self, slot: int) -> None:
        self._send({"drop": slot})

    def arm(self, claim: str, rows: list[tuple[int, int]]) -> None:
        """Before the dots: ``(slot, outbox id)`` of each message about to be dotted under ``claim``.  The
        first time, waits until the finisher has its database connection (it starts beside the sender's first
        claims and connections): only a ready finisher decides within the kernel's 200 ms hold."""
        if not self._ready and self.alive and self._channel is not None:
            self._channel.settimeout(READY_WITHIN)
            try:
                self._ready = self._channel.recv(64) == b"ready"
            except OSError:
                pass
            self._channel.settimeout(None)
            if not self._ready:
                self.alive = False
                log.warning("mail: the finisher did not start; a kill may send a group twice")
        self._send({"arm": claim, "rows": rows})

    def disarm(self) -> None:
        """After the commit and the push: nothing is half done."""
        self._send({"disarm": True})

    def close(self) -> None:
        """The sender ends normally: the finisher lets go of every socket and exits."""
        self._send({"bye": True})
        if self._channel is not None:
            self._channel.close()
        if self._proc is not None:
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:  # pragma: no cover - a stuck finisher
                self._proc.kill()
        self.alive = False

    def _send(self, message: dict[str, Any], fd: int | None = None) -> None:
        if not self.alive or self._channel is None:
            return
        data = json.dumps(message).encode()
        try:
            if fd is None:
                self._channel.send(data)
            else:
                socket.send_fds(self._channel, [data], [fd])
        except OSError as exc:
            self.alive = False
            log.warning("mail: the finisher is gone (%s); a kill may now send a group twice", exc)


# -- the finisher process ------------------------------------------------------------------------------------


def _settle(
    db: sessionmaker[Session], claim: str, rows: list[tuple[int, int]], socks: dict[int, socket.socket]
) -> None:
    """The sender died with ``rows`` dotted under ``claim``: push the dots of a committed group, or put the
    rows back and reset their sockets."""
    o = models.Outbox
    ids = [row_id for _slot, row_id in rows]
    with begin_write(db) as s:
        sent = set(
            s.scalars(
                select(o.id).where(o.id.in_(ids), o.claim == claim, o.status == "sent").with_for_update()
            )
        )
        s.execute(
            update(o)
            .where(o.id.in_(ids), o.claim == claim, o.status == "sending")
            .values(status="queued", claim=None)
            .execution_options(synchronize_session=False)
        )
        for slot, row_id in rows:
            sock = socks.get(slot)
            if sock is None:
                continue
            try:
                if row_id in sent:
                    sock.setsockopt(socket.IPPROTO_TCP, _CORK or 0, 0)  # out it goes
                else:  # a reset: the held dot is thrown away, the server drops the message
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    socks.pop(slot).close()
            except OSError:
                pass
    for slot, row_id in rows:  # let the server read a pushed dot before the connection closes
        sock = socks.get(slot)
        if sock is not None and row_id in sent:
            try:
                sock.settimeout(10)
                sock.recv(512)
            except OSError:
                pass


def main(fd: int) -> None:
    channel = socket.socket(fileno=fd)
    socks: dict[int, socket.socket] = {}
    db: sessionmaker[Session] | None = None
    armed: tuple[str, list[tuple[int, int]]] | None = None
    while True:
        try:
            data, fds, _flags, _addr = socket.recv_fds(channel, 1 << 16, 4)
        except OSError:
            break
        if not data:  # the sender is gone without a goodbye
            if armed is not None and db is not None:
                _settle(db, armed[0], armed[1], socks)
            break
        message = json.loads(data)
        if "db" in message:  # connect now, not when the sender has died and time is short
            db = sessionmaker(make_engine(message["db"]), expire_on_commit=False)
            with db() as s:
                s.execute(select(models.Outbox.id).limit(1))
            channel.send(b"ready")
        elif "conn" in message:
            old = socks.pop(message["conn"], None)
            if old is not None:
                old.close()
            for extra in fds[1:]:
                socket.socket(fileno=extra).close()
            if fds:
                socks[message["conn"]] = socket.socket(fileno=fds[0])
        elif "drop" in message:
            old = socks.pop(message["drop"], None)
            if old is not None:
                old.close()
        elif "arm" in message:
            armed = message["arm"], [(int(a), int(b)) for a, b in message["rows"]]
        elif "disarm" in message:
            armed = None
        elif "bye" in message:
            break
    for sock in socks.values():  # our copies only: the sender's own closed theirs, or died
        sock.close()
    channel.close()


if __name__ == "__main__":
    main(int(sys.argv[1]))
