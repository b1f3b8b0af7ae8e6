"""Typed errors of the cryptographic core (pyca/cryptography style: raise, never return False)."""

from __future__ import annotations


class CryptoError(Exception):
    """Base class of every error raised by :mod:`strikevote.crypto`."""


class InvalidEncoding(CryptoError):
    """A string is not the canonical encoding of a group element or scalar."""


class InvalidElement(CryptoError):
    """A value decodes but is not a member of the prime-order group (off curve, small order, out of range)."""


class InvalidScalar(CryptoError):
    """A scalar is out of the range [0, q) or not a canonical decimal string."""


class UnknownGroup(CryptoError):
    """A group name that neither Belenios nor strikevote knows."""


class DiscreteLogOutOfRange(CryptoError):
    """A bounded discrete logarithm has no solution in the given range."""


class ThresholdError(CryptoError):
    """Threshold key material is inconsistent (bad share, too few trustees, duplicate index)."""
