"""Injected randomness: the cryptographic core never draws random numbers by itself.

Production code passes :class:`SystemRandomness` (the OS CSPRNG through :mod:`secrets`); tests pass a
:class:`DeterministicRandomness` seeded with a known value so that every output is reproducible.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Protocol


class Randomness(Protocol):
    def below(self, n: int) -> int:
        """A uniformly random integer in [0, n)."""
        ...

    def token_bytes(self, n: int) -> bytes:
        """n uniformly random bytes."""
        ...


class SystemRandomness:
    """The operating system's CSPRNG."""

    def below(self, n: int) -> int:
        return secrets.randbelow(n)

    def token_bytes(self, n: int) -> bytes:
        return secrets.token_bytes(n)


class DeterministicRandomness:
    """SHA-256 in counter mode over a seed. For tests and reproducible simulations only: never for real votes."""

    def __init__(self, seed: bytes | str | int) -> None:
        if isinstance(seed, int):
            seed = str(seed)
        if isinstance(seed, str):
            seed = seed.encode("utf-8")
        self._seed = hashlib.sha256(b"strikevote-deterministic|" + seed).digest()
        self._counter = 0
        self._buffer = b""

    def token_bytes(self, n: int) -> bytes:
        while len(self._buffer) < n:
            block = hashlib.sha256(self._seed + self._counter.to_bytes(8, "big")).digest()
            self._counter += 1
            self._buffer += block
        out, self._buffer = self._buffer[:n], self._buffer[n:]
        return out

    def below(self, n: int) -> int:
        if n <= 0:
            raise ValueError("below() needs a positive bound")
        nbytes = (n.bit_length() + 7) // 8 + 8  # 64 extra bits make the modulo bias negligible
        return int.from_bytes(self.token_bytes(nbytes), "big") % n

    def fork(self, label: str) -> DeterministicRandomness:
        """An independent stream for a named purpose (e.g. one per voter), without consuming this one."""
        return DeterministicRandomness(self._seed + b"|" + label.encode("utf-8"))
