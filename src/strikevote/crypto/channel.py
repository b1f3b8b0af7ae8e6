"""Private trustee-to-trustee channel for the Pedersen key ceremony.

Belenios sends polynomial shares ElGamal+AES-CCM encrypted to each trustee's certificate encryption key
(``trustees.ml`` ``MakePKI.encrypt``); these messages never enter the public archive, so we use the same KEM
(``K = E^r`` for the recipient's key ``E = g^dk``) with libsodium's authenticated SecretBox for the payload.
"""

from __future__ import annotations

import hashlib
from typing import Any

from nacl.exceptions import CryptoError as NaclCryptoError
from nacl.secret import SecretBox

from strikevote.crypto.errors import CryptoError
from strikevote.crypto.group import Group
from strikevote.crypto.randomness import Randomness


def _box(group: Group[Any], shared: Any) -> SecretBox:
    return SecretBox(hashlib.sha256(("strikevote-channel|" + group.encode(shared)).encode()).digest())


def seal(group: Group[Any], recipient: Any, plaintext: bytes, rng: Randomness) -> tuple[str, bytes]:
    """Encrypt to ``recipient = g^dk``; returns (encoded g^r, ciphertext)."""
    r = group.random_nonzero_scalar(rng)
    nonce = rng.token_bytes(SecretBox.NONCE_SIZE)
    return group.encode(group.g_pow_secret(r)), bytes(
        _box(group, group.pow_secret(recipient, r)).encrypt(plaintext, nonce)
    )


def open_sealed(group: Group[Any], dk: int, ephemeral: str, ciphertext: bytes) -> bytes:
    try:
        return bytes(_box(group, group.pow_secret(group.decode(ephemeral), dk)).decrypt(ciphertext))
    except NaclCryptoError:
        raise CryptoError("a sealed share does not decrypt with this trustee's key") from None
