"""Election-committee accounts for the web console.  Passwords are hashed with Argon2id (argon2-cffi's
defaults, RFC 9106's second recommended profile); only the hash is stored, never the password."""

from __future__ import annotations

import functools
import re
from datetime import datetime
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from strikevote.db import models
from strikevote.services.errors import DefinitionError, ServiceError

USERNAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
MIN_PASSWORD: Final = 12
_HASHER: Final = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified when the username is unknown, so that a login takes as long whether or not the account exists.
    Made on first use: hashing costs ~0.15 s, which every server worker and CLI call would pay at import."""
    return _HASHER.hash("not a password of anyone's")


class LoginFailed(ServiceError):
    """Wrong username or password (which of the two is not said)."""


def add_official(db: sessionmaker[Session], username: str, password: str, now: datetime) -> None:
    if not USERNAME.fullmatch(username):
        raise DefinitionError(
            f"username {username!r}: use 1-64 ASCII letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    if len(password) < MIN_PASSWORD:
        raise DefinitionError(f"the password must have at least {MIN_PASSWORD} characters")
    try:
        with db.begin() as s:
            s.add(models.Official(username=username, password_hash=_HASHER.hash(password), created_at=now))
    except IntegrityError:
        raise DefinitionError(f"an official named {username!r} already exists") from None


def check_login(db: sessionmaker[Session], username: str, password: str) -> str:
    """The username when the password is right; :class:`LoginFailed` otherwise."""
    with db() as s:
        row = s.scalar(select(models.Official).where(models.Official.username == username))
    stored = row.password_hash if row is not None else _dummy_hash()
    try:
        _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        raise LoginFailed("wrong username or password") from None
    if row is None:
        raise LoginFailed("wrong username or password")
    if _HASHER.check_needs_rehash(stored):
        with db.begin() as s:
            official = s.get(models.Official, row.id)
            if official is not None:
                official.password_hash = _HASHER.hash(password)
    return row.username


def official_exists(db: sessionmaker[Session], username: str) -> bool:
    with db() as s:
        return s.scalar(select(models.Official.id).where(models.Official.username == username)) is not None
