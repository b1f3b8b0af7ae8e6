"""The trustee's key file: its secrets encrypted under a passphrase, written atomically, mode 0600.

Format (JSON)::

    {"format": "strikevote-trustee-key/1", "vote": <vote id>, "index": <seat>,
     "kdf": {"name": "argon2id13", "salt": <base64>, "opslimit": n, "memlimit": n},
     "box": <base64 of PyNaCl SecretBox(nonce ‖ ciphertext)>}

The key is Argon2id (libsodium ``crypto_pwhash``, through PyNaCl) of the passphrase; the box holds
``{"vote", "index", "group", "seed", "share"?}`` (the seed of Belenios' ``MakePedersen`` step 1 and, after the
ceremony, the decryption share).  ``vote`` and ``index`` are in clear too, so a key file of another vote is named
as such before any passphrase is asked for; the copy inside the box is what is trusted.

Files are created with ``O_CREAT | O_EXCL | O_NOFOLLOW`` (never through a symlink, never over an existing file)
and mode 0600; an update writes a new temporary file the same way, fsyncs it and renames it over the old one.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import nacl.exceptions
import nacl.pwhash.argon2id as argon2id
from nacl.secret import SecretBox

from strikevote.trustee.errors import TrusteeFileError

FORMAT: Final = "strikevote-trustee-key/1"
OPSLIMIT: Final = argon2id.OPSLIMIT_INTERACTIVE
MEMLIMIT: Final = argon2id.MEMLIMIT_INTERACTIVE
# A file asking for more than this is refused rather than allowed to exhaust the machine.
MAX_OPSLIMIT: Final = argon2id.OPSLIMIT_SENSITIVE
MAX_MEMLIMIT: Final = argon2id.MEMLIMIT_SENSITIVE
MAX_KEY_FILE: Final = 64 * 1024


@dataclass(frozen=True)
class TrusteeKey:
    vote: str
    index: int
    group: str
    seed: str
    share: int | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"vote": self.vote, "index": self.index, "group": self.group, "seed": self.seed}
        if self.share is not None:
            out["share"] = str(self.share)
        return out


def _derive(passphrase: bytes, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    return argon2id.kdf(SecretBox.KEY_SIZE, passphrase, salt, opslimit=opslimit, memlimit=memlimit)


def seal(key: TrusteeKey, passphrase: bytes) -> bytes:
    if not passphrase:
        raise TrusteeFileError("the passphrase is empty")
    salt = secrets.token_bytes(argon2id.SALTBYTES)
    box = SecretBox(_derive(passphrase, salt, OPSLIMIT, MEMLIMIT))
    sealed = box.encrypt(json.dumps(key.to_json()).encode("utf-8"))
    doc = {
        "format": FORMAT,
        "vote": key.vote,
        "index": key.index,
        "kdf": {
            "name": "argon2id13",
            "salt": base64.b64encode(salt).decode(),
            "opslimit": OPSLIMIT,
            "memlimit": MEMLIMIT,
        },
        "box": base64.b64encode(bytes(sealed)).decode(),
    }
    return (json.dumps(doc, indent=1) + "\n").encode("utf-8")


def _damaged(path: Path, why: str) -> TrusteeFileError:
    return TrusteeFileError(f"{path}: not a strikevote trustee key file ({why})")


def read_header(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_KEY_FILE + 1)
    except OSError as exc:
        raise TrusteeFileError(f"{path}: cannot read the key file ({exc.strerror or exc})") from None
    if len(raw) > MAX_KEY_FILE:
        raise _damaged(path, "too large")
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _damaged(path, "not JSON") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise _damaged(path, f"no format {FORMAT!r}")
    kdf = doc.get("kdf")
    if (
        not isinstance(doc.get("vote"), str)
        or not isinstance(doc.get("index"), int)
        or not isinstance(doc.get("box"), str)
        or not isinstance(kdf, dict)
        or kdf.get("name") != "argon2id13"
        or not isinstance(kdf.get("salt"), str)
        or not isinstance(kdf.get("opslimit"), int)
        or not isinstance(kdf.get("memlimit"), int)
    ):
        raise _damaged(path, "missing or malformed fields")
    if not (
        1 <= kdf["opslimit"] <= MAX_OPSLIMIT and argon2id.MEMLIMIT_MIN <= kdf["memlimit"] <= MAX_MEMLIMIT
    ):
        raise _damaged(path, "key derivation parameters out of range")
    return doc


def open_key(path: Path, passphrase: bytes, vote: str) -> TrusteeKey:
    """The key in ``path``; refuses a key of another vote, a wrong passphrase and any damage, naming the file."""
    doc = read_header(path)
    if doc["vote"] != vote:
        raise TrusteeFileError(f"{path}: the key file of vote {doc['vote']!r}, not of vote {vote!r}")
    try:
        salt = base64.b64decode(doc["kdf"]["salt"], validate=True)
        sealed = base64.b64decode(doc["box"], validate=True)
    except ValueError:
        raise _damaged(path, "bad base64") from None
    if len(salt) != argon2id.SALTBYTES:
        raise _damaged(path, "bad salt")
    box = SecretBox(_derive(passphrase, salt, doc["kdf"]["opslimit"], doc["kdf"]["memlimit"]))
    try:
        plain = box.decrypt(sealed)
    except nacl.exceptions.CryptoError:
        raise TrusteeFileError(f"{path}: wrong passphrase (or the key file was altered)") from None
    try:
        inner = json.loads(plain.decode("utf-8"))
        share = inner.get("share")
        key = TrusteeKey(
            str(inner["vote"]),
            int(inner["index"]),
            str(inner["group"]),
            str(inner["seed"]),
            int(share) if share is not None else None,
        )
    except (KeyError, TypeError, ValueError, UnicodeDecodeError, AttributeError):
        raise _damaged(path, "damaged contents") from None
    if key.vote != doc["vote"] or key.index != doc["index"]:
        raise _damaged(path, "its clear header does not match its contents")
    return key


def write_new(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Create ``path`` with ``data``: never over an existing file, never through a symlink, fsynced."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    except FileExistsError:
        raise TrusteeFileError(f"{path}: already exists; refusing to overwrite it") from None
    except OSError as exc:
        raise TrusteeFileError(f"{path}: cannot create ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def replace(path: Path, data: bytes) -> None:
    """Atomically replace the key file ``path`` (a fresh 0600 temporary file renamed over it)."""
    if path.is_symlink():
        raise TrusteeFileError(f"{path}: is a symbolic link; refusing to write through it")
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    write_new(tmp, data)
    try:
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise TrusteeFileError(f"{path}: cannot replace ({exc.strerror or exc})") from None


def create(path: Path, key: TrusteeKey, passphrase: bytes) -> None:
    write_new(path, seal(key, passphrase))


def update(path: Path, key: TrusteeKey, passphrase: bytes) -> None:
    replace(path, seal(key, passphrase))
