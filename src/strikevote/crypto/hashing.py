"""Belenios hashing conventions (specification §"Conventions", FORMATS.md §0 and §10).

* ``sha256_hex``: the names of archive files and the ``setup_data`` hashes.
* ``sha256_b64``: "Base64Compact" — standard base64 of the raw digest without ``=`` padding; election
  fingerprints and smart ballot trackers.
* ``hash_to_zq``: the Fiat–Shamir oracle ``G.hash prefix xs`` — SHA-256 of ``prefix`` followed by the elements'
  string encodings joined by commas, read as a big-endian integer and reduced modulo q.
"""

from __future__ import annotations

import base64
import hashlib


def sha256_hex(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def sha256_b64(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii").rstrip("=")


def reduce_hex(hex_digest: str, q: int) -> int:
    """``Zq.reduce_hex``: a hex string read as a big-endian integer, modulo q."""
    return int(hex_digest, 16) % q


def hash_to_zq(prefix: str, encoded_elements: list[str], q: int) -> int:
    """The Belenios oracle on already-encoded elements (callers encode with their group)."""
    data = (prefix + ",".join(encoded_elements)).encode("utf-8")
    return int.from_bytes(hashlib.sha256(data).digest(), "big") % q
