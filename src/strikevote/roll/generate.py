"""Realistic fake rolls for demos and tests, deterministic from the ``random.Random`` passed in.

Each local gets exactly the requested number of members without an email and of members in arrears (never on
check-off); the two groups are disjoint and everyone else is eligible. Under
``EligibilityPolicy(cutoff=cutoff, grace_days=g)`` with ``g <= MAX_GRACE_DAYS`` the counts are exact:
arrears members are paid through at least ``MAX_GRACE_DAYS + 1`` days before the cutoff (or have no payment on
record), and eligible members are paid through the cutoff or later, except some check-off members whose
employer is behind (they stay eligible, which exercises the check-off rule).
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Final

from strikevote.roll.model import MAX_MEMBER_ID_LENGTH, MEMBER_ID_PATTERN, Member

#: Largest grace period under which the generated arrears/eligible counts hold exactly.
MAX_GRACE_DAYS: Final = 30

FIRST_NAMES: Final[tuple[str, ...]] = (
    "Maria",
    "James",
    "Aisha",
    "Wei",
    "Carlos",
    "Fatima",
    "John",
    "Priya",
    "Olga",
    "Kwame",
    "Sofia",
    "David",
    "Mei",
    "Ahmed",
    "Grace",
    "Luis",
    "Hana",
    "Michael",
    "Zoë",
    "Tomás",
    "Ngozi",
    "Robert",
    "Yuki",
    "Ana",
    "Samuel",
    "Leila",
    "Patrick",
    "Rosa",
    "Dmitri",
    "Chloé",
    "Kofi",
    "Linda",
    "Javier",
    "Ingrid",
    "Omar",
    "Beatriz",
    "Thomas",
    "Amara",
    "Sean",
    "Lucía",
)
LAST_NAMES: Final[tuple[str, ...]] = (
    "Garcia",
    "Smith",
    "Nguyen",
    "Johnson",
    "Okafor",
    "Kim",
    "Hernández",
    "Brown",
    "Patel",
    "Müller",
    "O'Brien",
    "Rossi",
    "Cohen",
    "Kowalski",
    "Santos",
    "Williams",
    "Chen",
    "Mensah",
    "Jones",
    "Ivanova",
    "López",
    "Davis",
    "Yamamoto",
    "Ali",
    "Martin",
    "Dubois",
    "Murphy",
    "Singh",
    "Andersson",
    "Taylor",
    "Costa",
    "Wilson",
    "Haddad",
    "Schmidt",
    "Novak",
    "Reyes",
    "Walker",
    "Nakamura",
    "Adeyemi",
    "Byrne",
)

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_ID_SUFFIX_LENGTH: Final = len("-000000")


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return _NON_ALNUM.sub("", ascii_name.lower())


def generate_roll(
    locals_: Sequence[tuple[str, int]],
    rng: random.Random,
    *,
    no_email: Mapping[str, int] | None = None,
    in_arrears: Mapping[str, int] | None = None,
    cutoff: date,
) -> list[Member]:
    """Members for each ``(local, size)``, local by local, in shuffled order within each local.

    Member ids are ``<local>-<6 digits>``, emails ``firstname.lastname.1234@example.org`` (unique). A local
    whose id cannot start a member id (spaces, accents, too long) is spelled ``L<n>`` in the ids instead (its
    1-based position); the ``local`` field keeps the real id.
    :raises ValueError: duplicate or unknown locals, negative counts, or more excluded than members.
    """
    no_email = dict(no_email or {})
    in_arrears = dict(in_arrears or {})
    sizes: dict[str, int] = {}
    for local, size in locals_:
        if local in sizes:
            raise ValueError(f"local {local!r} listed twice")
        if size < 0:
            raise ValueError(f"local {local!r}: negative size {size}")
        sizes[local] = size
    for label, counts in (("no_email", no_email), ("in_arrears", in_arrears)):
        unknown = set(counts) - set(sizes)
        if unknown:
            raise ValueError(f"{label} names unknown locals: {', '.join(sorted(unknown))}")
        negative = [local for local, n in counts.items() if n < 0]
        if negative:
            raise ValueError(f"{label} has negative counts for: {', '.join(sorted(negative))}")
    for local, size in sizes.items():
        if no_email.get(local, 0) + in_arrears.get(local, 0) > size:
            raise ValueError(f"local {local!r}: no_email + in_arrears exceeds its {size} members")

    prefixes = _id_prefixes(list(sizes))
    used_emails: set[str] = set()
    members: list[Member] = []
    for local, size in sizes.items():
        kinds = ["no_email"] * no_email.get(local, 0) + ["arrears"] * in_arrears.get(local, 0)
        kinds += ["eligible"] * (size - len(kinds))
        rng.shuffle(kinds)
        numbers = rng.sample(range(1_000_000), size) if size <= 1_000_000 else range(size)
        for kind, number in zip(kinds, numbers, strict=True):
            members.append(_member(f"{prefixes[local]}-{number:06d}", local, kind, rng, cutoff, used_emails))
    return members


def _id_prefixes(locals_: list[str]) -> dict[str, str]:
    """The member-id prefix of each local: the local id itself when it makes a valid id, else ``L<n>``."""
    longest = MAX_MEMBER_ID_LENGTH - _ID_SUFFIX_LENGTH
    valid = {
        local: local for local in locals_ if MEMBER_ID_PATTERN.fullmatch(local) and len(local) <= longest
    }
    taken = {prefix.casefold() for prefix in valid.values()}
    prefixes: dict[str, str] = {}
    for position, local in enumerate(locals_, start=1):
        prefix = valid.get(local)
        if prefix is None:
            prefix = f"L{position}"
            while prefix.casefold() in taken:
                prefix += "x"
            taken.add(prefix.casefold())
        prefixes[local] = prefix
    return prefixes


def _member(
    member_id: str, local: str, kind: str, rng: random.Random, cutoff: date, used_emails: set[str]
) -> Member:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    while True:
        email = f"{_slug(first)}.{_slug(last)}.{rng.randrange(1000, 10000)}@example.org"
        if email not in used_emails:
            used_emails.add(email)
            break
    status = "good-standing" if rng.random() < 0.85 else "active"
    if kind == "arrears":
        checkoff = False
        paid: date | None = (
            None if rng.random() < 0.1 else cutoff - timedelta(days=rng.randint(MAX_GRACE_DAYS + 1, 400))
        )
    else:
        checkoff = rng.random() < 0.35
        if checkoff and rng.random() < 0.3:
            paid = cutoff - timedelta(days=rng.randint(1, 90))  # employer behind on remittances
        else:
            paid = cutoff + timedelta(days=rng.randint(0, 180))
    return Member(
        member_id=member_id,
        name=f"{first} {last}",
        email=None if kind == "no_email" else email,
        local=local,
        status=status,
        dues_paid_through=paid,
        dues_checkoff=checkoff,
    )
