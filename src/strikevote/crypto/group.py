"""The small group interface everything above is written against (specification §"Groups").

Belenios' ``GROUP`` signature (``src/lib/core/signatures_core.ml``) is mirrored here: a prime-order group with
generator ``g``, scalars in Z_q as Python ints, elements of an implementation-defined type, a ``check``
membership test, and the exact Belenios string encodings.  ``decode`` is the only way an element enters from
outside and it always validates: canonical encoding, on the curve / in range, and in the prime-order subgroup.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from functools import cached_property
from typing import Generic, TypeVar

from strikevote.crypto.errors import InvalidScalar
from strikevote.crypto.hashing import hash_to_zq
from strikevote.crypto.randomness import Randomness

E = TypeVar("E")


class Group(ABC, Generic[E]):
    """A prime-order group of order ``q`` with Belenios encodings."""

    name: str
    q: int
    g: E
    one: E

    # --- group law ---------------------------------------------------------------------------------------
    @abstractmethod
    def mul(self, a: E, b: E) -> E: ...

    @abstractmethod
    def div(self, a: E, b: E) -> E: ...

    @abstractmethod
    def pow(self, a: E, k: int) -> E: ...

    @abstractmethod
    def g_pow(self, k: int) -> E:
        """g^k; implementations use a faster fixed-base method."""

    @abstractmethod
    def inv(self, a: E) -> E: ...

    # --- secret exponents ----------------------------------------------------------------------------------
    # Every exponent that is a secret (a trustee's key or share, a credential secret, a nonce, a proof
    # commitment) goes through these: implementations make them constant time.  Ed25519 (libsodium) already is.
    def pow_secret(self, a: E, k: int) -> E:
        return self.pow(a, k)

    def g_pow_secret(self, k: int) -> E:
        return self.g_pow(k)

    def pow2(self, a: E, x: int, b: E, y: int) -> E:
        """a^x · b^y, the shape of every Σ-protocol commitment."""
        return self.mul(self.pow(a, x), self.pow(b, y))

    def g_pow2(self, x: int, b: E, y: int) -> E:
        """g^x · b^y."""
        return self.mul(self.g_pow(x), self.pow(b, y))

    @abstractmethod
    def eq(self, a: E, b: E) -> bool: ...

    # --- membership and encodings ------------------------------------------------------------------------
    @abstractmethod
    def check(self, a: E) -> bool:
        """Membership of an already-typed value in the prime-order subgroup (Belenios ``G.check``)."""

    @abstractmethod
    def encode(self, a: E) -> str:
        """The Belenios string of an element (hex for Ed25519, decimal for finite fields)."""

    @abstractmethod
    def decode(self, s: str, *, identity_ok: bool = False) -> E:
        """Parse and validate an element from outside; raises InvalidEncoding or InvalidElement.

        The identity is refused unless ``identity_ok``: it is a legitimate *product* (the encrypted tally of a
        local where nobody voted, and its decryption factors) but never a valid key, credential or ciphertext.
        """

    @abstractmethod
    def compare_key(self, a: E) -> bytes | int:
        """A sort key reproducing Belenios' ``G.compare`` (used to order public credentials)."""

    # --- scalars -----------------------------------------------------------------------------------------
    @cached_property
    def scalar_digits(self) -> int:
        """The number of decimal digits of q: no canonical scalar is longer."""
        return len(str(self.q))

    def decode_scalar(self, s: str) -> int:
        """A canonical decimal in [0, q) (Belenios ``Zq.of_string``; we also refuse non-canonical forms).

        The length is checked before ``int``: a longer string cannot be in range, and Python refuses to convert
        more than 4300 digits (ValueError), which must not escape as anything but InvalidScalar."""
        if not isinstance(s, str) or not s or not s.isascii() or not s.isdigit():
            raise InvalidScalar(f"not a decimal scalar: {s!r:.40}")
        if len(s) > self.scalar_digits:
            raise InvalidScalar(f"scalar out of range [0, q) ({len(s)} digits)")
        if len(s) > 1 and s[0] == "0":
            raise InvalidScalar(f"non-canonical scalar (leading zero): {s!r:.40}")
        value = int(s)
        if value >= self.q:
            raise InvalidScalar("scalar out of range [0, q)")
        return value

    @staticmethod
    def encode_scalar(k: int) -> str:
        return str(k)

    def random_scalar(self, rng: Randomness) -> int:
        """A uniformly random scalar in [0, q) (Belenios ``Zq.random``)."""
        return rng.below(self.q)

    def random_nonzero_scalar(self, rng: Randomness) -> int:
        return 1 + rng.below(self.q - 1)

    # --- hashing -----------------------------------------------------------------------------------------
    def hash(self, prefix: str, elements: Sequence[E]) -> int:
        """``G.hash prefix xs`` of the specification (FORMATS.md §10)."""
        return hash_to_zq(prefix, [self.encode(e) for e in elements], self.q)
