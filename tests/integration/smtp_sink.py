"""A real SMTP server for the mail tests and the mail benchmark: aiosmtpd, on 127.0.0.1 and a free port.

It keeps every accepted message (or, run as a script, appends each one's Message-ID and arrival time to a file) and can be told
to refuse: a reply per recipient address at RCPT, and replies to serve, in order, after DATA.

    python tests/integration/smtp_sink.py --ids FILE   # prints "PORT <n>" once listening; SIGTERM stops it
"""

from __future__ import annotations

import argparse
import re
import signal
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller

_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]+>)", re.MULTILINE | re.IGNORECASE)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def message_id(content: bytes) -> str:
    m = _MESSAGE_ID.search(content.split(b"\r\n\r\n", 1)[0])
    return m.group(1).decode() if m else ""


@dataclass
class Delivered:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    @property
    def message_id(self) -> str:
        return message_id(self.content)


@dataclass
class SinkHandler:
    messages: list[Delivered] = field(default_factory=list)
    rcpt_replies: dict[str, str] = field(default_factory=dict)  # address -> e.g. "550 5.1.1 no such user"
    data_replies: list[str] = field(default_factory=list)  # served in order after DATA, then "250 OK"
    ids_file: Any = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        reply = self.rcpt_replies.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.data_replies:
                return self.data_replies.pop(0)
            content = envelope.original_content or envelope.content
            if self.ids_file is not None:
                self.ids_file.write(f"{message_id(content)} {time.time():.6f}\n")
                self.ids_file.flush()
            else:
                self.messages.append(Delivered(envelope.mail_from, list(envelope.rcpt_tos), content))
        return "250 OK"


class Sink:
    """``with Sink() as sink:`` — ``sink.port``, ``sink.messages``; ``tls`` makes it offer (and require)
    STARTTLS with that server context."""

    def __init__(self, tls: ssl.SSLContext | None = None, ids_file: Any = None) -> None:
        self.handler = SinkHandler(ids_file=ids_file)
        self.port = free_port()
        kwargs: dict[str, Any] = {"tls_context": tls, "require_starttls": True} if tls else {}
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)

    @property
    def messages(self) -> list[Delivered]:
        return self.handler.messages

    def __enter__(self) -> Sink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ids", required=True, help="append each accepted message's Message-ID here")
    args = parser.parse_args()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with open(args.ids, "a", encoding="ascii") as ids, Sink(ids_file=ids) as sink:
        print(f"PORT {sink.port}", flush=True)
        stop.wait()


if __name__ == "__main__":
    main()
