"""Pedersen k-of-n threshold keys (specification §"Threshold decryption"; Belenios ``src/lib/v1/trustees.ml``).

Trustee i (1..n) picks a random polynomial P_i of degree k−1 and publishes its coefficient exponentials
``A_ik = g^{a_ik}`` ("coefexps").  Trustee j receives ``s_ij = P_i(j)`` from every i, checks it against A_i,
and keeps the share ``S_j = Σ_i s_ij``; its verification key is ``vk_j = g^{S_j}``.  The threshold public key
is ``Π_i A_i0``.  Any k trustees decrypt: factors ``α^{S_j}`` combined with Lagrange coefficients at 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from strikevote.crypto.errors import ThresholdError
from strikevote.crypto.group import Group
from strikevote.crypto.randomness import Randomness


def random_polynomial(group: Group[Any], degree: int, rng: Randomness) -> list[int]:
    return [group.random_scalar(rng) for _ in range(degree + 1)]


def eval_polynomial(group: Group[Any], coefficients: Sequence[int], x: int) -> int:
    acc = 0
    for a in reversed(coefficients):
        acc = (acc * x + a) % group.q
    return acc


def coefficient_exponentials(group: Group[Any], coefficients: Sequence[int]) -> list[Any]:
    return [group.g_pow_secret(a) for a in coefficients]


def expected_share_image(group: Group[Any], coefexps: Sequence[Any], j: int) -> Any:
    """g^{P_i(j)} = Π_k A_ik^{j^k}, computed from public data only."""
    acc = group.one
    jk = 1
    for a in coefexps:
        acc = group.mul(acc, group.pow(a, jk))
        jk = jk * j % group.q
    return acc


def check_share(group: Group[Any], coefexps: Sequence[Any], j: int, share: int) -> bool:
    return group.eq(group.g_pow_secret(share), expected_share_image(group, coefexps, j))


def verification_keys(group: Group[Any], all_coefexps: Sequence[Sequence[Any]]) -> list[Any]:
    """vk_j = Π_i g^{P_i(j)} for j = 1..n (Belenios ``compute_verification_keys``)."""
    n = len(all_coefexps)
    return [
        _product(group, [expected_share_image(group, coefexps, j) for coefexps in all_coefexps])
        for j in range(1, n + 1)
    ]


def threshold_public_key(group: Group[Any], all_coefexps: Sequence[Sequence[Any]]) -> Any:
    return _product(group, [coefexps[0] for coefexps in all_coefexps])


def lagrange_coefficient(group: Group[Any], indexes: Sequence[int], j: int) -> int:
    """λ_j = Π_{k ∈ I, k ≠ j} k / (k − j) mod q (Belenios ``lagrange``)."""
    if len(set(indexes)) != len(indexes) or j not in indexes:
        raise ThresholdError("Lagrange interpolation needs distinct indexes containing j")
    q = group.q
    acc = 1
    for k in indexes:
        if k != j:
            acc = acc * k * pow((k - j) % q, -1, q) % q
    return acc


def combine_factors(group: Group[Any], factors: dict[int, Any]) -> Any:
    """Π_j F_j^{λ_j} over the trustees that decrypted (index → factor)."""
    indexes = sorted(factors)
    acc = group.one
    for j in indexes:
        acc = group.mul(acc, group.pow(factors[j], lagrange_coefficient(group, indexes, j)))
    return acc


def _product(group: Group[Any], elements: Sequence[Any]) -> Any:
    acc = group.one
    for e in elements:
        acc = group.mul(acc, e)
    return acc
