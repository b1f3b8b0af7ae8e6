"""Voter credentials (specification §"Credentials"; Belenios ``src/lib/core/credential.ml``, "full style").

A private credential is 22 base58 characters written ``XXXXX-XXXXXX-XXXXX-XXXXXX``.  Its secret is
``s = int(SHA256("derive_credential|UUID|0|c") ‖ SHA256("derive_credential|UUID|1|c"), 16) mod q`` and the public
credential is ``g^s``.  The server only ever sees ``g^s``.
"""

from __future__ import annotations

import hashlib
from typing import Any

from strikevote.crypto.errors import InvalidEncoding
from strikevote.crypto.group import Group
from strikevote.crypto.randomness import Randomness

B58_DIGITS = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58 = frozenset(B58_DIGITS)
CREDENTIAL_LENGTH = 22


def generate_token(rng: Randomness, length: int) -> str:
    """A uniformly random base58 token (Belenios ``generate_b58_token``)."""
    return "".join(B58_DIGITS[rng.below(58)] for _ in range(length))


def format_credential(raw: str) -> str:
    if len(raw) != CREDENTIAL_LENGTH:
        raise InvalidEncoding("a credential has 22 base58 characters")
    return f"{raw[0:5]}-{raw[5:11]}-{raw[11:16]}-{raw[16:22]}"


def generate_credential(rng: Randomness) -> str:
    return format_credential(generate_token(rng, CREDENTIAL_LENGTH))


def parse_credential(credential: str) -> str:
    """Validate the full-style shape and return it unchanged (the dashes are part of what is hashed)."""
    parts = credential.strip().split("-")
    if [len(p) for p in parts] != [5, 6, 5, 6] or not all(_B58.issuperset(p) for p in parts):
        raise InvalidEncoding("a credential looks like XXXXX-XXXXXX-XXXXX-XXXXXX (base58)")
    return credential.strip()


def derive_secret(group: Group[Any], uuid: str, credential: str) -> int:
    credential = parse_credential(credential)
    prefix = f"derive_credential|{uuid}"
    digest = "".join(hashlib.sha256(f"{prefix}|{i}|{credential}".encode()).hexdigest() for i in (0, 1))
    return int(digest, 16) % group.q


def public_credential(group: Group[Any], uuid: str, credential: str) -> Any:
    return group.g_pow_secret(derive_secret(group, uuid, credential))
