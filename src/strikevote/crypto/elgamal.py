"""Exponential ElGamal (specification §"Encrypted answers"): ``(α, β) = (g^r, y^r · g^m)``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from strikevote.crypto.group import Group

E = TypeVar("E")


@dataclass(frozen=True, slots=True)
class Ciphertext(Generic[E]):
    alpha: E
    beta: E


def encrypt(group: Group[Any], y: Any, m: int, r: int) -> Ciphertext[Any]:
    return Ciphertext(group.g_pow_secret(r), group.mul(group.pow_secret(y, r), group.g_pow_secret(m)))


def add_ciphertexts(group: Group[Any], a: Ciphertext[Any], b: Ciphertext[Any]) -> Ciphertext[Any]:
    """The homomorphic sum of the plaintexts."""
    return Ciphertext(group.mul(a.alpha, b.alpha), group.mul(a.beta, b.beta))


def neutral(group: Group[Any]) -> Ciphertext[Any]:
    return Ciphertext(group.one, group.one)


def scale(group: Group[Any], a: Ciphertext[Any], weight: int) -> Ciphertext[Any]:
    if weight == 1:
        return a
    return Ciphertext(group.pow(a.alpha, weight), group.pow(a.beta, weight))


def product(group: Group[Any], cts: Iterable[Ciphertext[Any]]) -> Ciphertext[Any]:
    acc = neutral(group)
    for ct in cts:
        acc = add_ciphertexts(group, acc, ct)
    return acc
