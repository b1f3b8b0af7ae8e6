"""The Ed25519 group (specification §"Ed25519"; Belenios ``src/lib/core/ed25519_libsodium.ml``).

Elements are libsodium's 32-byte little-endian compressed points.  Belenios writes the same 256-bit integer
**big-endian** as 64 lower-case hex digits, so its string is the byte-reversed RFC 8032 encoding.
All arithmetic goes through libsodium (PyNaCl bindings): ``*~`` is ``crypto_core_ed25519_add`` and ``**~`` is
``crypto_scalarmult_ed25519_noclamp``; membership is ``crypto_core_ed25519_is_valid_point`` (canonical, on the
curve, in the prime-order subgroup, not of small order).  libsodium refuses a zero scalar and the identity, so
those cases are handled here, as Belenios' pure-OCaml fallback does.
"""

from __future__ import annotations

from nacl import bindings as sodium

from strikevote.crypto.errors import InvalidElement, InvalidEncoding
from strikevote.crypto.group import Group

L = 2**252 + 27742317777372353535851937790883648493
IDENTITY = b"\x01" + b"\x00" * 31
BASE = bytes.fromhex("5866666666666666666666666666666666666666666666666666666666666666")
_HEX = frozenset("0123456789abcdef")

_add = sodium.crypto_core_ed25519_add
_sub = sodium.crypto_core_ed25519_sub
_smul = sodium.crypto_scalarmult_ed25519_noclamp
_smul_base = sodium.crypto_scalarmult_ed25519_base_noclamp
_is_valid = sodium.crypto_core_ed25519_is_valid_point


class Ed25519Group(Group[bytes]):
    name = "Ed25519"
    q = L
    g = BASE
    one = IDENTITY

    def mul(self, a: bytes, b: bytes) -> bytes:
        if a == IDENTITY:
            return b
        if b == IDENTITY:
            return a
        return _add(a, b)

    def div(self, a: bytes, b: bytes) -> bytes:
        if b == IDENTITY:
            return a
        return _sub(a, b)

    def inv(self, a: bytes) -> bytes:
        return self.div(IDENTITY, a)

    def pow(self, a: bytes, k: int) -> bytes:
        k %= L
        if k == 0 or a == IDENTITY:
            return IDENTITY
        return _smul(k.to_bytes(32, "little"), a)

    def g_pow(self, k: int) -> bytes:
        k %= L
        if k == 0:
            return IDENTITY
        return _smul_base(k.to_bytes(32, "little"))

    def eq(self, a: bytes, b: bytes) -> bool:
        return a == b

    def check(self, a: bytes) -> bool:
        return len(a) == 32 and (a == IDENTITY or bool(_is_valid(a)))

    def encode(self, a: bytes) -> str:
        return a[::-1].hex()

    def decode(self, s: str, *, identity_ok: bool = False) -> bytes:
        if not isinstance(s, str) or len(s) != 64 or not _HEX.issuperset(s):
            raise InvalidEncoding(f"not a 64-digit lower-case hex Ed25519 point: {str(s)[:70]!r}")
        point = bytes.fromhex(s)[::-1]
        if point == IDENTITY and identity_ok:
            return point
        # libsodium refuses the identity (it is of small order) along with every other small-order point.
        if not _is_valid(point):
            raise InvalidElement(f"not a point of the prime-order subgroup of Ed25519: {s}")
        return point

    def compare_key(self, a: bytes) -> bytes:
        return a  # Belenios compares the raw libsodium byte strings (``Bytes.compare``)


ED25519 = Ed25519Group()
