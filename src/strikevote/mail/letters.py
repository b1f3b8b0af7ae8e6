"""The three letters (credential, confirmation, reminder) in English and Spanish, and the message that carries one.

Texts are Jinja2 templates (``templates/<kind>.<language>.{txt,html}.j2``); dates are written for people in the
vote's time zone by Babel ("Voting closes Sunday, October 3, 2021 at 9:00 PM PDT").  A message (:func:`build_message`) has From with display name, To, Date, Message-ID, Subject, multipart/alternative
plain text + HTML, UTF-8.  The booth link is DESIGN.md §11's ``{public_url}/vote/{vote}#{election-uuid}/{credential}``
and the public board ``{public_url}/votes/{vote}``.
"""

from __future__ import annotations

import binascii
import functools
import secrets
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.utils import format_datetime as rfc5322_date
from email.utils import formataddr
from typing import Any, Final
from urllib.parse import quote
from zoneinfo import ZoneInfo

import jinja2
from babel.dates import format_datetime

from strikevote.mail.settings import MailSettings

KINDS: Final = ("credential", "confirmation", "reminder")
LANGUAGES: Final = ("en", "es")
_DATE_FORMATS: Final = {
    "en": ("en_US", "EEEE, MMMM d, y 'at' h:mm a z"),
    "es": ("es", "EEEE, d 'de' MMMM 'de' y, 'a las' H:mm (zzzz)"),
}
_SUBJECTS: Final = {
    ("credential", "en"): "{union}: your voting credential for {title}",
    ("credential", "es"): "{union}: su credencial de voto para {title}",
    ("confirmation", "en"): "{union}: your ballot in {title} was received",
    ("confirmation", "es"): "{union}: recibimos su papeleta en {title}",
    ("reminder", "en"): "{union}: voting in {title} closes soon",
    ("reminder", "es"): "{union}: la votación {title} cierra pronto",
}


@functools.lru_cache(maxsize=256)  # a vote's letters all show the same two moments
def human_time(moment: datetime, timezone: str, language: str) -> str:
    """``moment`` in the vote's time zone, written out in ``language``."""
    locale, pattern = _DATE_FORMATS[language]
    return str(format_datetime(moment, pattern, tzinfo=ZoneInfo(timezone), locale=locale))


def booth_url(public_url: str, vote_id: str) -> str:
    return f"{public_url}/vote/{quote(vote_id, safe='')}"


def booth_link(public_url: str, vote_id: str, uuid: str, credential: str) -> str:
    """The personal link: the credential rides in the fragment, which browsers never send to the server."""
    return f"{booth_url(public_url, vote_id)}#{uuid}/{credential}"


def board_url(public_url: str, vote_id: str) -> str:
    return f"{public_url}/votes/{quote(vote_id, safe='')}"


@dataclass(frozen=True)
class VoteFacts:
    """What every letter of one vote says about the vote (loaded once per sender run)."""

    vote_id: str
    union: str
    title: str
    opens: datetime
    closes: datetime
    timezone: str


@functools.cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("strikevote.mail", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(kind: str, language: str, facts: VoteFacts, settings: MailSettings, **fields: Any) -> Rendered:
    """One letter's subject, plain text and HTML.  ``fields``: ``name`` and what the kind needs (credential:
    ``local_name``, ``question``, ``uuid``, ``credential``, ``election_fingerprint``, ``credentials_fingerprint``;
    confirmation: ``tracker``)."""
    if kind not in KINDS or language not in LANGUAGES:
        raise ValueError(f"no {kind!r} letter in {language!r}")
    ctx: dict[str, Any] = {
        "union": facts.union,
        "title": facts.title,
        "opens": human_time(facts.opens, facts.timezone, language),
        "closes": human_time(facts.closes, facts.timezone, language),
        "booth_url": booth_url(settings.public_url, facts.vote_id),
        "board_url": board_url(settings.public_url, facts.vote_id),
        "contact": settings.contact_text,
        **fields,
    }
    if kind == "credential":
        ctx["booth_link"] = booth_link(
            settings.public_url, facts.vote_id, fields["uuid"], fields["credential"]
        )
    ctx["subject"] = subject = _SUBJECTS[kind, language].format(union=facts.union, title=facts.title)
    env = _env()
    text = env.get_template(f"{kind}.{language}.txt.j2").render(ctx)
    html = env.get_template(f"{kind}.{language}.html.j2").render(ctx)
    return Rendered(subject, text, html)


def build_message(
    rendered: Rendered,
    settings: MailSettings,
    to_name: str,
    to_address: str,
    message_id: str,
    now: datetime,
    automatic: bool = False,
) -> bytes:
    """The RFC 5322 message, CRLF line ends: multipart/alternative (plain, then HTML), UTF-8, quoted-printable.

    Written out directly rather than through ``email.message``: the standard library's generator re-folds
    every header of every part (about 1 ms a message here, ``EmailMessage`` several), and the sender's target
    is 200 messages a second.  The headers that are the same for every letter of a kind (From, Reply-To,
    Subject, Auto-Submitted) are folded once (:func:`_fixed_headers`); the bodies are encoded by
    ``binascii.b2a_qp`` (C).  ``tests/unit/test_mail_settings.py`` parses the result back with
    ``email.policy.default`` against the same message made with ``EmailMessage``.
    """
    boundary = f"=_{secrets.token_hex(16)}"  # random, and "=_" never occurs in quoted-printable text
    head = b"".join(
        (
            _mailbox("To", to_name, to_address),
            _header("Date", rfc5322_date(now)),
            _header("Message-ID", message_id),
            _fixed_headers(settings, rendered.subject, automatic),
            b'Content-Type: multipart/alternative;\r\n boundary="' + boundary.encode() + b'"\r\n\r\n',
        )
    )
    delimiter = b"--" + boundary.encode()
    return b"".join(
        (
            head,
            delimiter,
            b"\r\n" + _PART_HEADERS["plain"],
            _quoted_printable(rendered.text),
            b"\r\n" + delimiter,  # the CRLF before a delimiter belongs to it (RFC 2046 §5.1.1)
            b"\r\n" + _PART_HEADERS["html"],
            _quoted_printable(rendered.html),
            b"\r\n" + delimiter,
            b"--\r\n",
        )
    )


_PART_HEADERS: Final = {
    sub: f'Content-Type: text/{sub}; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'.encode()
    for sub in ("plain", "html")
}


def _quoted_printable(text: str) -> bytes:
    """``text`` as quoted-printable UTF-8 lines (RFC 2045 §6.7: at most 76 characters, soft breaks ``=``),
    ending with CRLF."""
    lines = text.replace("\r\n", "\n").split("\n")
    if lines[-1] == "":
        lines.pop()
    return binascii.b2a_qp("\r\n".join(lines).encode("utf-8") + b"\r\n", istext=True)


def _header(name: str, value: str) -> bytes:
    """One header field; a value that is not ASCII, or too long for one 78-character line, is encoded and
    folded by ``email.header.Header`` (RFC 2047 / RFC 5322 §2.2.3)."""
    value = value.replace("\r", " ").replace("\n", " ")  # a line break would start a header of its own
    if value.isascii() and len(name) + 2 + len(value) <= 78:
        return f"{name}: {value}\r\n".encode("ascii")
    folded = Header(value, "utf-8" if not value.isascii() else "us-ascii", header_name=name).encode(
        linesep="\r\n"
    )
    return f"{name}: {folded}\r\n".encode("ascii")


def _mailbox(name: str, display: str, address: str) -> bytes:
    """A From or To field: ``display <address>``, the display name quoted when it needs it, or RFC 2047
    encoded words of at most 75 characters each when it is not ASCII."""
    display = display.replace("\r", " ").replace("\n", " ")
    if display.isascii():
        return _header(name, formataddr((display, address)))
    words = Header(display, "utf-8", header_name=name).encode(linesep="\r\n")
    last = words.rsplit("\r\n", 1)[-1]
    used = len(last) + (len(name) + 2 if last is words else 0)
    sep = " " if used + len(address) + 3 <= 78 else "\r\n "
    return f"{name}: {words}{sep}<{address}>\r\n".encode("ascii")


@functools.lru_cache(maxsize=64)
def _fixed_headers(settings: MailSettings, subject: str, automatic: bool) -> bytes:
    """From, Reply-To, Subject, MIME-Version and Auto-Submitted: the same for every letter of one kind and
    language, folded once."""
    lines = [_mailbox("From", settings.from_name, settings.from_address)]
    if settings.reply_to:
        lines.append(_header("Reply-To", settings.reply_to))
    lines.append(_header("Subject", subject))
    lines.append(b"MIME-Version: 1.0\r\n")
    if automatic:
        lines.append(b"Auto-Submitted: auto-generated\r\n")  # RFC 3834: no vacation replies to these
    return b"".join(lines)


def new_message_id(unique: str, domain: str) -> str:
    return f"<{unique}@{domain}>"
