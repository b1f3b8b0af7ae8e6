"""The credential authority's private store: every private credential it issued, encrypted under its passphrase.

DESIGN.md §12: the authority keeps private credentials only here, to re-send a lost letter and to render
credential letters at send time; the server's database never holds them.  The store is a SQLite file of its own
(mode 0600), separate from the database.  The key is derived from the passphrase with Argon2id (libsodium's
``crypto_pwhash``, through PyNaCl) under a random salt kept in the file; each credential is sealed with
SecretBox (XSalsa20-Poly1305) together with the vote, member, local and election it belongs to, so a row moved
to another member does not open.  A check value sealed under the same key tells a wrong passphrase apart before
anything is read or sent.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import nacl.exceptions
import nacl.pwhash
import nacl.secret
import nacl.utils

from strikevote.services.errors import ServiceError

FORMAT: Final = "strikevote/ca-store/1"
_CHECK: Final = b"strikevote credential authority store"
#: libsodium's "interactive" Argon2id limits (64 MiB, 2 passes): the store is opened once per command.
OPSLIMIT: Final = nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE
MEMLIMIT: Final = nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE
MIN_PASSPHRASE: Final = 8


class CAStoreError(ServiceError):
    """The store cannot be opened (missing, not a store, wrong passphrase) or lacks a credential."""


@dataclass(frozen=True)
class StoredCredential:
    vote_id: str
    member_id: str
    local_id: str
    uuid: str
    credential: str


def _schema(conn: sqlite3.Connection) -> None:
    conn.executescript(
        """
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
        CREATE TABLE IF NOT EXISTS credentials (
            vote_id TEXT NOT NULL, member_id TEXT NOT NULL, sealed BLOB NOT NULL,
            PRIMARY KEY (vote_id, member_id)
        );
        """
    )


class CAStore:
    """An open store: the derived key stays in this object only."""

    def __init__(self, path: Path, box: nacl.secret.SecretBox) -> None:
        self.path = path
        self._box = box

    # -- opening -------------------------------------------------------------------------------------------

    @staticmethod
    def create(path: Path, passphrase: str) -> CAStore:
        """A new, empty store at ``path`` (which must not exist)."""
        if len(passphrase) < MIN_PASSPHRASE:
            raise CAStoreError(f"the store's passphrase must have at least {MIN_PASSPHRASE} characters")
        salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
        box = nacl.secret.SecretBox(_derive(passphrase, salt, OPSLIMIT, MEMLIMIT))
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise CAStoreError(f"{path}: already exists") from None
        os.close(fd)
        with closing(sqlite3.connect(path)) as conn, conn:
            _schema(conn)
            conn.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [
                    ("format", FORMAT.encode()),
                    ("salt", salt),
                    ("opslimit", str(OPSLIMIT).encode()),
                    ("memlimit", str(MEMLIMIT).encode()),
                    ("check", bytes(box.encrypt(_CHECK))),
                ],
            )
        return CAStore(path, box)

    @staticmethod
    def open(path: Path, passphrase: str) -> CAStore:
        """Open an existing store; :class:`CAStoreError` when it is missing, not a store, or the passphrase
        is wrong."""
        if not path.is_file():
            raise CAStoreError(f"{path}: no credential authority store there")
        try:
            with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
                meta = dict(conn.execute("SELECT key, value FROM meta"))
        except sqlite3.DatabaseError:
            raise CAStoreError(f"{path}: not a credential authority store") from None
        if meta.get("format") != FORMAT.encode() or not {"salt", "opslimit", "memlimit", "check"} <= set(
            meta
        ):
            raise CAStoreError(f"{path}: not a credential authority store")
        key = _derive(passphrase, meta["salt"], int(meta["opslimit"]), int(meta["memlimit"]))
        box = nacl.secret.SecretBox(key)
        try:
            ok = box.decrypt(meta["check"]) == _CHECK
        except nacl.exceptions.CryptoError:
            ok = False
        if not ok:
            raise CAStoreError(f"{path}: wrong passphrase for the credential authority store")
        return CAStore(path, box)

    @staticmethod
    def open_or_create(path: Path, passphrase: str) -> CAStore:
        return CAStore.open(path, passphrase) if path.exists() else CAStore.create(path, passphrase)

    # -- credentials ---------------------------------------------------------------------------------------

    def replace_vote(self, vote_id: str, entries: Iterable[StoredCredential]) -> int:
        """Store every credential of a vote, replacing any of an earlier, abandoned issue; all or nothing."""
        n = 0
        with closing(sqlite3.connect(self.path)) as conn, conn:
            conn.execute("DELETE FROM credentials WHERE vote_id = ?", (vote_id,))
            for e in entries:
                conn.execute(
                    "INSERT INTO credentials (vote_id, member_id, sealed) VALUES (?, ?, ?)",
                    (vote_id, e.member_id, self._seal(e)),
                )
                n += 1
        return n

    def forget_vote(self, vote_id: str) -> None:
        """Drop a vote's credentials (an issue whose database transaction failed: they do not exist)."""
        with closing(sqlite3.connect(self.path)) as conn, conn:
            conn.execute("DELETE FROM credentials WHERE vote_id = ?", (vote_id,))

    def get(self, vote_id: str, member_id: str) -> StoredCredential:
        with closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)) as conn:
            row = conn.execute(
                "SELECT sealed FROM credentials WHERE vote_id = ? AND member_id = ?", (vote_id, member_id)
            ).fetchone()
        if row is None:
            raise CAStoreError(f"{self.path}: no credential of member '{member_id}' in vote '{vote_id}'")
        return self._open(row[0], vote_id, member_id)

    def get_many(self, vote_id: str, member_ids: Iterable[str]) -> dict[str, StoredCredential]:
        """The stored credentials of these members (those the store has), read over one connection."""
        wanted = sorted(set(member_ids))
        out: dict[str, StoredCredential] = {}
        with closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)) as conn:
            for i in range(0, len(wanted), 500):  # under SQLite's limit on bound parameters
                chunk = wanted[i : i + 500]
                marks = ",".join("?" * len(chunk))
                for member_id, sealed in conn.execute(
                    f"SELECT member_id, sealed FROM credentials WHERE vote_id = ? AND member_id IN ({marks})",  # noqa: S608 - only placeholders
                    (vote_id, *chunk),
                ):
                    out[member_id] = self._open(sealed, vote_id, member_id)
        return out

    def count(self, vote_id: str) -> int:
        with closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)) as conn:
            return int(
                conn.execute("SELECT count(*) FROM credentials WHERE vote_id = ?", (vote_id,)).fetchone()[0]
            )

    def lookup(self, vote_id: str) -> Iterator[StoredCredential]:  # pragma: no cover - convenience
        with closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)) as conn:
            for member_id, sealed in conn.execute(
                "SELECT member_id, sealed FROM credentials WHERE vote_id = ?", (vote_id,)
            ):
                yield self._open(sealed, vote_id, member_id)

    def _seal(self, e: StoredCredential) -> bytes:
        doc = {"v": e.vote_id, "m": e.member_id, "l": e.local_id, "u": e.uuid, "c": e.credential}
        return bytes(self._box.encrypt(json.dumps(doc, sort_keys=True).encode()))

    def _open(self, sealed: bytes, vote_id: str, member_id: str) -> StoredCredential:
        try:
            doc = json.loads(self._box.decrypt(sealed))
        except (nacl.exceptions.CryptoError, ValueError):
            raise CAStoreError(f"{self.path}: the credential of member '{member_id}' does not open") from None
        if doc.get("v") != vote_id or doc.get("m") != member_id:
            raise CAStoreError(
                f"{self.path}: the credential stored for '{member_id}' belongs to someone else"
            )
        return StoredCredential(vote_id, member_id, doc["l"], doc["u"], doc["c"])


def _derive(passphrase: str, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    return bytes(
        nacl.pwhash.argon2id.kdf(
            nacl.secret.SecretBox.KEY_SIZE,
            passphrase.encode("utf-8"),
            salt,
            opslimit=opslimit,
            memlimit=memlimit,
        )
    )
