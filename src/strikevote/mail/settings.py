"""The vote file's ``[mail]`` and ``[reminders]`` blocks, validated key by key.

Example::

    [mail]
    from = "Election Committee <elections@atw.example>"   # required: display name and address
    reply_to = "help@atw.example"             # optional; also the contact named in letters unless `contact`
    contact = "the Election Committee, help@atw.example, 555-0100"   # optional: whom members contact
    public_url = "https://vote.atw.example"   # required: booth links and the public board are under it
    host = "smtp.atw.example"                 # default "localhost"
    port = 587                                # default: 587 (starttls), 465 (tls), 25 (none)
    security = "starttls"                     # "starttls" (default), "tls" (implicit) or "none"
    ca_file = "/etc/strikevote/smtp-ca.pem"   # optional: trust this CA (PEM) for the server's certificate,
                                              # instead of the system's trust store (a private relay)
    username = "elections"                    # optional: log in
    password_env = "STRIKEVOTE_SMTP_PASSWORD" # the password: from this environment variable...
    password_file = "/etc/strikevote/smtp-password"   # ...or from this file (not both)
    rate = 600                                # at most this many messages per minute (default 0: no limit)

    [reminders]
    at = [2021-10-02T09:00:00, 2021-10-03T12:00:00]   # in the vote's time zone unless an offset is given

The password itself is never in the vote file, the database, a command line or a log: only the name of the
variable or file that holds it, read when a message is sent (:func:`smtp_password`).
"""

from __future__ import annotations

import json
import os
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.utils import parseaddr
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from strikevote.services.errors import DefinitionError

MAIL_KEYS: Final = frozenset(
    {
        "from",
        "reply_to",
        "contact",
        "public_url",
        "host",
        "port",
        "security",
        "ca_file",
        "username",
        "password_env",
        "password_file",
        "rate",
    }
)
SECURITY: Final = ("starttls", "tls", "none")
DEFAULT_PORT: Final = {"starttls": 587, "tls": 465, "none": 25}


class MailConfigError(DefinitionError):
    """The SMTP password cannot be read (missing variable or file)."""


@dataclass(frozen=True)
class MailSettings:
    from_name: str
    from_address: str
    public_url: str
    reply_to: str | None = None
    contact: str | None = None
    host: str = "localhost"
    port: int = 587
    security: str = "starttls"
    ca_file: str | None = None
    username: str | None = None
    password_env: str | None = None
    password_file: str | None = None
    rate: int = 0  # messages per minute; 0 = no limit

    @property
    def from_header(self) -> Address:
        user, _, domain = self.from_address.rpartition("@")
        return Address(self.from_name, user, domain)

    @property
    def domain(self) -> str:
        return self.from_address.rpartition("@")[2]

    @property
    def contact_text(self) -> str:
        return self.contact or self.reply_to or self.from_address

    def to_json(self) -> dict[str, Any]:
        return {
            "from": str(self.from_header),
            "reply_to": self.reply_to,
            "contact": self.contact,
            "public_url": self.public_url,
            "host": self.host,
            "port": self.port,
            "security": self.security,
            "ca_file": self.ca_file,
            "username": self.username,
            "password_env": self.password_env,
            "password_file": self.password_file,
            "rate": self.rate,
        }


@dataclass(frozen=True)
class MailPlan:
    """What the vote file says about mail: the settings (``None``: no ``[mail]`` block) and reminder times."""

    mail: MailSettings | None
    reminders: tuple[datetime, ...] = ()

    def to_json(self) -> str:
        return json.dumps(
            {
                "mail": self.mail.to_json() if self.mail else None,
                "reminders": [at.isoformat() for at in self.reminders],
            },
            sort_keys=True,
            ensure_ascii=False,
        )

    @staticmethod
    def from_json(text: str | None) -> MailPlan:
        if not text:
            return MailPlan(None)
        obj = json.loads(text)
        mail = obj.get("mail")
        settings = None
        if mail is not None:
            settings = parse_mail({k: v for k, v in mail.items() if v is not None}, "stored [mail]")
        return MailPlan(settings, tuple(datetime.fromisoformat(x) for x in obj.get("reminders", [])))


def _address(value: object, key: str, where: str) -> tuple[str, str]:
    if not isinstance(value, str) or not value.strip():
        raise DefinitionError(f"{where}: '{key}' must be an address like \"Name <user@example.org>\"")
    name, addr = parseaddr(value.strip())
    user, at, domain = addr.rpartition("@")
    if not at or not user or "." not in domain or any(c.isspace() for c in addr):
        raise DefinitionError(f"{where}: '{key}' is not an email address: {value!r}")
    if any(ord(c) < 32 for c in name):
        raise DefinitionError(f"{where}: '{key}' has a control character in its name")
    return name, addr


def _optional_text(table: dict[str, Any], key: str, where: str) -> str | None:
    if key not in table:
        return None
    value = table[key]
    if not isinstance(value, str) or not value.strip() or any(ord(c) < 32 for c in value):
        raise DefinitionError(f"{where}: '{key}' must be a non-empty line of text")
    return value.strip()


def parse_mail(table: object, where: str) -> MailSettings:
    """The ``[mail]`` block; a :class:`DefinitionError` naming the first bad key."""
    where = f"{where}: [mail]" if not where.endswith("[mail]") else where
    if not isinstance(table, dict):
        raise DefinitionError(f"{where} must be a table")
    for key in table:
        if key not in MAIL_KEYS:
            raise DefinitionError(f"{where}: unknown key '{key}' (known: {', '.join(sorted(MAIL_KEYS))})")
    if "from" not in table:
        raise DefinitionError(
            f"{where}: missing key 'from' (the sender, e.g. \"Committee <vote@example.org>\")"
        )
    from_name, from_address = _address(table["from"], "from", where)
    reply_to = None
    if "reply_to" in table:
        reply_to = _address(table["reply_to"], "reply_to", where)[1]
    if "public_url" not in table:
        raise DefinitionError(
            f"{where}: missing key 'public_url' (where members find the booth and the board)"
        )
    url = table["public_url"]
    parts = urlsplit(url) if isinstance(url, str) else None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.netloc
        or parts.query
        or parts.fragment
    ):
        raise DefinitionError(f"{where}: 'public_url' must be an http(s) URL like https://vote.example.org")
    security = table.get("security", "starttls")
    if security not in SECURITY:
        raise DefinitionError(f"{where}: 'security' must be one of {', '.join(SECURITY)}")
    port = table.get("port", DEFAULT_PORT[security])
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise DefinitionError(f"{where}: 'port' must be an integer in 1..65535, got {port!r}")
    host = _optional_text(table, "host", where) or "localhost"
    if any(c.isspace() for c in host):
        raise DefinitionError(f"{where}: 'host' must be a host name or address")
    rate = table.get("rate", 0)
    if not isinstance(rate, int) or isinstance(rate, bool) or not 0 <= rate <= 1_000_000:
        raise DefinitionError(f"{where}: 'rate' must be messages per minute, an integer >= 0 (0: no limit)")
    ca_file = _optional_text(table, "ca_file", where)
    if ca_file and security == "none":
        raise DefinitionError(f'{where}: \'ca_file\' needs security "starttls" or "tls"')
    username = _optional_text(table, "username", where)
    password_env = _optional_text(table, "password_env", where)
    password_file = _optional_text(table, "password_file", where)
    if password_env and password_file:
        raise DefinitionError(f"{where}: give 'password_env' or 'password_file', not both")
    if (password_env or password_file) and not username:
        raise DefinitionError(f"{where}: a password needs a 'username'")
    if username and not (password_env or password_file):
        raise DefinitionError(
            f"{where}: 'username' needs 'password_env' (a variable name) or 'password_file' (a path); "
            "the password itself never goes in the vote file"
        )
    return MailSettings(
        from_name=from_name,
        from_address=from_address,
        public_url=url.rstrip("/"),
        reply_to=reply_to,
        contact=_optional_text(table, "contact", where),
        host=host,
        port=port,
        security=security,
        ca_file=ca_file,
        username=username,
        password_env=password_env,
        password_file=password_file,
        rate=rate,
    )


def parse_reminders(
    table: object, where: str, tz: ZoneInfo, opens: datetime, closes: datetime
) -> tuple[datetime, ...]:
    """``[reminders] at = [...]``: times inside the voting window, in the vote's time zone unless offset."""
    where = f"{where}: [reminders]"
    if not isinstance(table, dict):
        raise DefinitionError(f"{where} must be a table")
    for key in table:
        if key != "at":
            raise DefinitionError(f"{where}: unknown key '{key}' (known: at)")
    raw = table.get("at", [])
    if not isinstance(raw, list):
        raise DefinitionError(f"{where}: 'at' must be a list of date-times")
    out: list[datetime] = []
    for item in raw:
        if not isinstance(item, datetime):
            raise DefinitionError(
                f"{where}: 'at' must list date-times like 2021-10-02T09:00:00, got {item!r}"
            )
        at = item if item.tzinfo is not None else item.replace(tzinfo=tz)
        if not opens < at < closes:
            raise DefinitionError(f"{where}: {item.isoformat()} is not inside the voting window")
        out.append(at)
    return tuple(sorted(set(out)))


def tls_context(settings: MailSettings) -> ssl.SSLContext | None:
    """The context that verifies the server's certificate: against ``ca_file`` when given, else the system's
    trust store (``None``: the connection makes that one when it needs it)."""
    if settings.ca_file is None:
        return None
    try:
        return ssl.create_default_context(cafile=settings.ca_file)
    except ssl.SSLError:  # (an OSError too: first)
        raise MailConfigError(f"{settings.ca_file}: not a PEM certificate file") from None
    except OSError as exc:
        raise MailConfigError(
            f"{settings.ca_file}: cannot read the mail server's CA file ({exc.strerror})"
        ) from None


def smtp_password(settings: MailSettings) -> str | None:
    """The SMTP password from its variable or file (``None`` without login); never logged or stored."""
    if settings.password_env:
        value = os.environ.get(settings.password_env)
        if not value:
            raise MailConfigError(f"the SMTP password variable ${settings.password_env} is not set")
        return value
    if settings.password_file:
        try:
            text = Path(settings.password_file).read_text(encoding="utf-8")
        except OSError as exc:
            raise MailConfigError(
                f"{settings.password_file}: cannot read the SMTP password ({exc.strerror})"
            ) from None
        value = text.rstrip("\r\n")
        if not value:
            raise MailConfigError(f"{settings.password_file}: the SMTP password file is empty")
        return value
    return None
