"""A real SMTP server for the mail tests and the mail benchmark: aiosmtpd, on 127.0.0.1 and a free port.

It keeps every accepted message (or, run as a script, appends each one's Message-ID and arrival time to a file) and can be told
to refuse: a reply per recipient address at RCPT, and replies to serve, in order, after DATA.  It can serve
STARTTLS or implicit TLS (certificates from :func:`make_tls_files`) and require a login (AUTH PLAIN and LOGIN,
aiosmtpd's authenticator).

    python tests/integration/smtp_sink.py --ids FILE   # prints "PORT <n>" once listening; SIGTERM stops it
"""

from __future__ import annotations

import argparse
import ipaddress
import re
import signal
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]+>)", re.MULTILINE | re.IGNORECASE)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def message_id(content: bytes) -> str:
    m = _MESSAGE_ID.search(content.split(b"\r\n\r\n", 1)[0])
    return m.group(1).decode() if m else ""


def make_tls_files(directory: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a certificate it signs for 127.0.0.1 (``cryptography``): ``(ca.pem, cert.pem,
    key.pem)``; the client trusts ``ca.pem``, the server serves ``cert.pem`` with ``key.pem``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.now(UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "strikevote test CA")])
    usage = {k: False for k in ("content_commitment", "data_encipherment", "key_agreement", "crl_sign")}
    usage |= {"encipher_only": False, "decipher_only": False}
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, key_cert_sign=True, key_encipherment=False, **usage),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = directory / "ca.pem", directory / "cert.pem", directory / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return paths


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


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
    logins: dict[str, str] = field(default_factory=dict)  # user -> password the server accepts
    attempts: list[tuple[str, str, bool]] = field(default_factory=list)  # (mechanism, user, accepted)

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, password = auth_data.login.decode(), auth_data.password.decode()
        ok = user in self.logins and self.logins[user] == password
        self.attempts.append((mechanism, user, ok))
        return AuthResult(success=ok, handled=False)

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
    STARTTLS with that server context, ``implicit_tls`` speak TLS from the first byte; ``logins`` (user →
    password) makes it require AUTH with one of ``mechanisms``."""

    def __init__(
        self,
        tls: ssl.SSLContext | None = None,
        ids_file: Any = None,
        *,
        implicit_tls: ssl.SSLContext | None = None,
        logins: dict[str, str] | None = None,
        mechanisms: tuple[str, ...] = ("LOGIN", "PLAIN"),
    ) -> None:
        self.handler = SinkHandler(ids_file=ids_file, logins=dict(logins or {}))
        self.port = free_port()
        kwargs: dict[str, Any] = {"tls_context": tls, "require_starttls": True} if tls else {}
        if logins is not None:  # a login is required before MAIL; only over TLS (implicit TLS counts)
            kwargs |= {
                "authenticator": self.handler.authenticate,
                "auth_required": True,
                "auth_require_tls": implicit_tls is None,
                "auth_exclude_mechanism": [m for m in ("LOGIN", "PLAIN") if m not in mechanisms],
            }
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, ssl_context=implicit_tls, **kwargs
        )

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
