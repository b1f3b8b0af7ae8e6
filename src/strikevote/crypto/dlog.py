"""Bounded discrete logarithm for tallies (specification §"Election result": ``log_g`` with the total weight as bound).

Baby-step giant-step: O(√bound) group operations and memory.
"""

from __future__ import annotations

import math
from typing import Any

from strikevote.crypto.errors import DiscreteLogOutOfRange
from strikevote.crypto.group import Group


def discrete_log(group: Group[Any], h: Any, bound: int) -> int:
    """The m in [0, bound] with g^m = h."""
    if bound < 0:
        raise ValueError("negative bound")
    step = max(1, math.isqrt(bound) + 1)
    baby: dict[Any, int] = {}
    e = group.one
    for j in range(step):
        baby.setdefault(_key(group, e), j)
        e = group.mul(e, group.g)
    giant = group.inv(group.g_pow(step))
    gamma = h
    for i in range(step + 1):
        found = baby.get(_key(group, gamma))
        if found is not None:
            m = i * step + found
            if m <= bound:
                return m
        gamma = group.mul(gamma, giant)
    raise DiscreteLogOutOfRange(f"no discrete logarithm in [0, {bound}]")


def _key(group: Group[Any], e: Any) -> Any:
    return group.compare_key(e)
