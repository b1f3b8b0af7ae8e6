"""One SMTP client connection, driven step by step so that the sender can commit between body and final dot.

A message is delivered when the server reads the final ``.`` of DATA.  The sender writes the commands
(:meth:`Connection.put`, :meth:`Connection.expect`) and the body (:meth:`Connection.put_body`) on many
connections in lock-step, then, in the transaction that marks the messages sent, writes every dot held in the
kernel (:meth:`Connection.hold`, :meth:`Connection.send_dot`), commits, and pushes them out
(:meth:`Connection.push`); a failed commit throws the held dots away (:meth:`Connection.discard`).  See
:mod:`.sender` for what a kill can do at each point.  ``TCP_NODELAY`` is set: the dot would otherwise wait for
the server's delayed acknowledgement of the body (40 ms a message).

Security: ``starttls`` (RFC 3207, refused if the server does not offer it), ``tls`` (implicit TLS, port 465) or
``none``; certificates are verified against the system's trust store unless a context is given (tests).
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
import struct
from dataclasses import dataclass
from typing import Final

from strikevote.mail.settings import MailSettings, tls_context

_LEADING_DOT: Final = re.compile(rb"(?m)^\.")
#: A transaction's steps before the message, and the replies that let it go on.
STEPS: Final = ("MAIL FROM", "RCPT TO", "DATA")
_CORK: Final = getattr(socket, "TCP_CORK", None)  # Linux
_EXPECTED: Final = {"MAIL FROM": (250,), "RCPT TO": (250, 251), "DATA": (354,)}


class SmtpError(Exception):
    """The server refused a message (or the connection failed); ``permanent`` for a 5xx reply."""

    def __init__(self, code: int, reply: str, phase: str) -> None:
        super().__init__(f"{phase}: {code} {reply}".strip())
        self.code = code
        self.reply = reply
        self.phase = phase

    @property
    def permanent(self) -> bool:
        return 500 <= self.code < 600


class Unreachable(Exception):
    """No SMTP session could be opened (connection refused, TLS or login failure, 421 greeting)."""


class LoginRefused(Unreachable):
    """The server refused the username and password (535): a setting to fix, not a message's problem."""


@dataclass(frozen=True)
class Endpoint:
    """Where and how to connect; the password comes from :func:`strikevote.mail.settings.smtp_password`."""

    host: str
    port: int
    security: str = "starttls"
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0
    tls_context: ssl.SSLContext | None = None

    @staticmethod
    def of(
        settings: MailSettings, password: str | None, timeout: float = 30.0, tls: ssl.SSLContext | None = None
    ) -> Endpoint:
        """The vote's server; ``tls`` defaults to the ``[mail]`` block's (its ``ca_file``, else the system's
        trust store)."""
        return Endpoint(
            settings.host,
            settings.port,
            settings.security,
            settings.username,
            password,
            timeout,
            tls or tls_context(settings),
        )

    def __repr__(self) -> str:  # never show the password
        return f"Endpoint({self.host}:{self.port}, {self.security}, user={self.username!r})"


def _text(reply: bytes | str) -> str:
    raw = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(raw.split())[:500]


class Connection:
    """An open, authenticated SMTP session: :meth:`put` and :meth:`expect` for each of :data:`STEPS`,
    :meth:`put_body`, then :meth:`send_dot` and :meth:`reply` (or :meth:`abort`, :meth:`discard`)."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        context = None
        if endpoint.security != "none":  # loading the system trust store costs a fifth of a second
            context = endpoint.tls_context or ssl.create_default_context()
        try:
            if endpoint.security == "tls":
                self._smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    endpoint.host, endpoint.port, timeout=endpoint.timeout, context=context
                )
            else:
                self._smtp = smtplib.SMTP(endpoint.host, endpoint.port, timeout=endpoint.timeout)
            # No Nagle: the final dot (3 bytes) right after a body would otherwise wait for the server's
            # delayed ACK of the body, 40 ms, and the sender's commit-to-dot moment would stretch with it.
            self._sock().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._smtp.ehlo()
            if endpoint.security == "starttls":
                if not self._smtp.has_extn("starttls"):
                    self.abort()
                    raise Unreachable(f"{endpoint.host}:{endpoint.port} does not offer STARTTLS")
                self._smtp.starttls(context=context)
                self._smtp.ehlo()
            if endpoint.username:
                self._smtp.login(endpoint.username, endpoint.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            self.abort()
            raise LoginRefused(
                f"{endpoint.host}:{endpoint.port} refused the login of {endpoint.username!r} ({exc.smtp_code})"
            ) from None
        except smtplib.SMTPConnectError as exc:
            raise Unreachable(
                f"{endpoint.host}:{endpoint.port}: {exc.smtp_code} {_text(exc.smtp_error)}"
            ) from None
        except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
            self.abort()
            raise Unreachable(f"{endpoint.host}:{endpoint.port}: {exc.__class__.__name__}: {exc}") from None
        self.in_data = False
        self.alive = True

    # A transaction in steps, so that the sender can drive all its connections in lock-step (each step's
    # commands written on every connection, then every reply read): the server works on all of them at once
    # and one round trip is shared by the whole group, without needing PIPELINING (RFC 2920).

    def put(self, step: str, sender: str, recipient: str) -> None:
        """Write the command of ``step`` (``MAIL FROM``, ``RCPT TO`` or ``DATA``) without reading its reply."""
        if step == "MAIL FROM":
            line = f"MAIL FROM:{smtplib.quoteaddr(sender)}"
        elif step == "RCPT TO":
            line = f"RCPT TO:{smtplib.quoteaddr(recipient)}"
        else:
            line = "DATA"
        try:
            data = line.encode("ascii") + b"\r\n"
        except UnicodeEncodeError:  # no SMTPUTF8 (RFC 6531): such an address cannot be given to this server
            self._reset()
            raise SmtpError(553, "the address is not ASCII (SMTPUTF8 is not used)", step) from None
        self._write(data, step)

    def expect(self, step: str) -> None:
        """Read the reply to ``step``'s command; on a refusal reset the session (it stays usable) and raise
        :class:`SmtpError`."""
        try:
            code, reply = self._smtp.getreply()
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self.abort()
            raise SmtpError(0, f"connection lost ({exc})", step) from None
        if code not in _EXPECTED[step]:
            self._reset()
            raise SmtpError(code, _text(reply), step)

    def put_body(self, message: bytes) -> None:
        """The message after DATA's 354, dot-stuffed (RFC 5321 §4.5.2), without the final dot."""
        body = _LEADING_DOT.sub(b"..", message)
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        self.in_data = True
        self._write(body, "DATA")

    def _write(self, data: bytes, step: str) -> None:
        try:
            self._smtp.send(data)
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self.abort()
            raise SmtpError(0, f"connection lost ({exc})", step) from None

    def hold(self) -> None:
        """Keep what is written next in the kernel, untransmitted, until :meth:`push` (``TCP_CORK``; Nagle's
        algorithm where there is none): writing the final dot is then a copy into the kernel, with no
        transmission in it, and a process killed right after still has it sent (closing the socket of a dead
        process flushes its queue)."""
        self._nodelay(False)

    def push(self) -> None:
        """Transmit what :meth:`hold` kept."""
        self._nodelay(True)

    @property
    def tcp_socket(self) -> socket.socket:
        """The TCP socket (under TLS, the wrapped one): a finisher holds a copy of it."""
        return self._sock()

    def _sock(self) -> socket.socket:
        sock = self._smtp.sock
        if sock is None:
            raise OSError("the connection is closed")
        return sock

    def _nodelay(self, on: bool) -> None:
        try:
            sock = self._sock()
            if _CORK is not None:
                sock.setsockopt(socket.IPPROTO_TCP, _CORK, 0 if on else 1)
            else:  # pragma: no cover - not Linux
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1 if on else 0)
        except (OSError, AttributeError):
            pass  # a lost connection: the next write or read says so

    def send_dot(self) -> bool:
        """Write the final dot (nothing else: the caller writes every group's dots, held, before pushing them
        and reading any reply, so that the moment between its commit and the dots is as short as it can be);
        false if the connection was lost."""
        try:
            self._sock().sendall(b".\r\n")  # straight to the socket: this write is in the unguarded moment
            self.in_data = False
            return True
        except (OSError, smtplib.SMTPServerDisconnected):
            self.abort()
            return False

    def reply(self) -> tuple[int, str]:
        """The server's reply to the dot (code 0 when the connection was lost before one came)."""
        try:
            code, reply = self._smtp.getreply()
            return code, _text(reply)
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self.abort()
            return 0, f"connection lost after the message ({exc})"

    def discard(self) -> None:
        """Drop the connection with a reset (``SO_LINGER`` 0): what :meth:`hold` kept is thrown away, not sent,
        and the server discards the message in DATA."""
        try:
            self._sock().setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self._sock().close()
        except OSError:
            pass
        self.abort()

    def abort(self) -> None:
        """Drop the connection without a dot: a message in DATA is discarded by the server."""
        try:
            sock = self._smtp.sock
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)
        except (OSError, AttributeError):
            pass
        try:
            self._smtp.close()
        except (OSError, AttributeError):
            pass
        self.in_data = False
        self.alive = False

    def close(self) -> None:
        try:
            self._smtp.quit()
        except (OSError, smtplib.SMTPException):
            pass
        self.abort()

    def _reset(self) -> None:
        try:
            self._smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.abort()
