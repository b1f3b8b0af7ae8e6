"""``load_rule``: a preset name or an inline rule table → :class:`Rule`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .model import Rule, RuleError
from .presets import PRESETS
from .spec import parse_rule

__all__ = ["load_rule"]


def load_rule(spec: str | Mapping[str, Any]) -> Rule:
    """Return the preset named ``spec``, or parse ``spec`` as an inline rule table (as read from TOML).

    Raises :class:`RuleError` naming the bad key (or the unknown preset name).
    """
    if isinstance(spec, str):
        try:
            return PRESETS[spec]
        except KeyError:
            raise RuleError(
                "rule", None, f"unknown preset {spec!r} (known: {', '.join(sorted(PRESETS))})"
            ) from None
    if isinstance(spec, Mapping):
        return parse_rule(spec, PRESETS)
    raise RuleError("rule", None, f"expected a preset name or a rule table, got {type(spec).__name__}")
