"""Member roll data types and the field checks shared by the importer and the snapshot codec."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final

#: Membership statuses a roll may use (after normalisation: lower case, spaces/underscores → ``-``).
#: ``good-standing`` and ``active`` are in good standing by default; ``suspended`` and ``expelled`` are
#: disciplinary; ``withdrawn`` covers resigned/withdrawal cards; ``retired`` members keep a card but do not
#: vote on contracts under most constitutions.
KNOWN_STATUSES: Final[frozenset[str]] = frozenset(
    {"good-standing", "active", "suspended", "expelled", "withdrawn", "retired"}
)

#: Statuses that count as good standing unless an :class:`EligibilityPolicy` says otherwise.
GOOD_STANDING_STATUSES: Final[frozenset[str]] = frozenset({"good-standing", "active"})

#: Languages a member's letters can be written in (the roll's optional ``language`` column); English by default.
LANGUAGES: Final[tuple[str, ...]] = ("en", "es")

#: Longest accepted name or local id (characters).
MAX_TEXT_LENGTH: Final = 200

#: Longest accepted member id (characters); the database column holds 64.
MAX_MEMBER_ID_LENGTH: Final = 64

#: Characters a member id may use. Ids end up in file names (the credential letters) and in spreadsheets, so
#: they are kept to ASCII letters, digits, ``.``, ``_`` and ``-``, and must start with a letter or digit (no
#: ``.``/``..`` path parts, no hidden files, nothing a shell or a spreadsheet would read as an option/formula).
MEMBER_ID_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")

# Bidirectional overrides/isolates can make a name display as something else (Trojan Source); zero-width
# joiners (also format characters) are legitimate in many scripts and stay allowed.
_BIDI_CONTROLS: Final = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_STATUS_SEPARATORS = re.compile(r"[\s_]+")
_EMAIL = re.compile(
    r"(?P<local>[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*)"
    r"@"
    r"(?P<domain>(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)"
)


def normalize_status(raw: str) -> str:
    """``"Good Standing"`` → ``"good-standing"``; the result may be unknown (see :func:`status_problem`)."""
    return _STATUS_SEPARATORS.sub("-", raw.strip().lower())


def text_problem(value: str) -> str | None:
    """Why ``value`` is not acceptable as a required text field (id, name, local), or ``None``."""
    if not value:
        return "is required"
    if value != value.strip():
        return f"{value!r} has leading or trailing spaces"
    if len(value) > MAX_TEXT_LENGTH:
        return f"is longer than {MAX_TEXT_LENGTH} characters"
    if any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") or ch in _BIDI_CONTROLS for ch in value):
        return f"{value!r} contains a control character or line break"
    return None


def member_id_problem(value: str) -> str | None:
    """Why ``value`` is not acceptable as a member id, or ``None`` (see :data:`MEMBER_ID_PATTERN`)."""
    problem = text_problem(value)
    if problem:
        return problem
    if len(value) > MAX_MEMBER_ID_LENGTH:
        return f"is longer than {MAX_MEMBER_ID_LENGTH} characters"
    if MEMBER_ID_PATTERN.fullmatch(value) is None:
        if not (value[0].isascii() and value[0].isalnum()):
            return f"{value!r} must start with a letter or digit"
        bad = sorted({ch for ch in value if not (ch.isascii() and (ch.isalnum() or ch in "._-"))})
        shown = " ".join(repr(ch) for ch in bad)
        return f"{value!r} contains {shown}: a member id may use only letters A-Z, digits, '.', '_' and '-'"
    return None


def email_problem(value: str) -> str | None:
    """Why ``value`` is not a usable email address (pragmatic: one ``@``, a dotted domain), or ``None``."""
    if len(value) > 254 or _EMAIL.fullmatch(value) is None:
        return f"{value!r} is not a valid email address"
    return None


def status_problem(value: str) -> str | None:
    """Why ``value`` (already normalised) is not a known status, or ``None``."""
    if value not in KNOWN_STATUSES:
        return f"unknown status {value!r} (allowed: {', '.join(sorted(KNOWN_STATUSES))})"
    return None


@dataclass(frozen=True)
class Member:
    """One row of the member roll. Construction checks every field and raises ``ValueError`` if one is bad.

    ``status`` is a normalised member of :data:`KNOWN_STATUSES`; ``email`` is ``None`` when none is
    registered; ``dues_paid_through`` is ``None`` when the union has no payment on record;
    ``dues_checkoff`` is true when the employer deducts dues from pay (never excluded for arrears then,
    29 CFR 452.87); ``language`` is the language of their letters (one of :data:`LANGUAGES`).
    """

    member_id: str
    name: str
    email: str | None
    local: str
    status: str
    dues_paid_through: date | None
    dues_checkoff: bool
    language: str = "en"

    def __post_init__(self) -> None:
        problems = member_problems(self)
        if problems:
            field_name, message = problems[0]
            raise ValueError(f"member {self.member_id!r}: {field_name}: {message}")


def member_problems(member: Member) -> list[tuple[str, str]]:
    """Every ``(field, message)`` problem with ``member``'s fields (empty when it is valid)."""
    problems: list[tuple[str, str]] = []
    for name in ("member_id", "name", "local"):
        value = getattr(member, name)
        check = member_id_problem if name == "member_id" else text_problem
        problem = check(value) if isinstance(value, str) else "must be text"
        if problem:
            problems.append((name, problem))
    if member.email is not None:
        problem = email_problem(member.email) if isinstance(member.email, str) else "must be text or None"
        if problem:
            problems.append(("email", problem))
    problem = status_problem(member.status) if isinstance(member.status, str) else "must be text"
    if problem:
        problems.append(("status", problem))
    paid = member.dues_paid_through
    if paid is not None and (not isinstance(paid, date) or isinstance(paid, datetime)):
        problems.append(("dues_paid_through", "must be a date or None"))
    if not isinstance(member.dues_checkoff, bool):
        problems.append(("dues_checkoff", "must be a bool"))
    if member.language not in LANGUAGES:
        problems.append(("language", f"{member.language!r} is not one of {', '.join(LANGUAGES)}"))
    return problems


@dataclass(frozen=True)
class Roll:
    """A validated member roll: members in file order, member ids unique (compared case-insensitively).

    ``source`` names where it came from (the file path for imported rolls); it is informational only.
    ``warnings``: what the importer let through but a person should look at (ignored columns, an email
    shared by several members), each naming the file and line.
    """

    members: tuple[Member, ...]
    source: str = ""
    warnings: tuple[str, ...] = field(default=(), compare=False)
    _by_id: dict[str, Member] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        members = tuple(self.members)
        by_id: dict[str, Member] = {}
        for member in members:
            if not isinstance(member, Member):
                raise TypeError(f"Roll members must be Member, not {type(member).__name__}")
            key = member.member_id.casefold()
            if key in by_id:
                raise ValueError(f"duplicate member id {member.member_id!r} in roll")
            by_id[key] = member
        object.__setattr__(self, "members", members)
        object.__setattr__(self, "_by_id", by_id)

    @classmethod
    def from_members(cls, members: Iterable[Member], source: str = "") -> Roll:
        return cls(tuple(members), source)

    def __len__(self) -> int:
        return len(self.members)

    def __iter__(self) -> Iterator[Member]:
        return iter(self.members)

    def __contains__(self, member_id: object) -> bool:
        return isinstance(member_id, str) and member_id.casefold() in self._by_id

    def get(self, member_id: str) -> Member | None:
        """The member with this id (case-insensitive), or ``None``."""
        return self._by_id.get(member_id.casefold())

    @property
    def locals(self) -> tuple[str, ...]:
        """Distinct local ids, sorted."""
        return tuple(sorted({m.local for m in self.members}))
