"""``load_rule``: a preset name or an inline rule table → :class:`Rule`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .model import Rule, RuleError
from .presets import PRESETS
from .spec import parse_rule

__all__ = ["MAX_DEPTH", "load_rule"]

#: Deepest nesting of tables and lists accepted in an inline rule: real rules use three or four levels, and the
#: parser, evaluator and description recurse once per level.
MAX_DEPTH = 32


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
        if _depth(spec) > MAX_DEPTH:
            raise RuleError("rule", None, f"nested more than {MAX_DEPTH} levels deep")
        return parse_rule(spec, PRESETS)
    raise RuleError("rule", None, f"expected a preset name or a rule table, got {type(spec).__name__}")


def _depth(spec: object) -> int:
    """How deeply tables and lists nest in ``spec``, counted without recursion."""
    deepest, todo = 0, [(spec, 1)]
    while todo:
        node, depth = todo.pop()
        if isinstance(node, Mapping):
            children: list[Any] = list(node.values())
        elif isinstance(node, list | tuple):
            children = list(node)
        else:
            continue
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            return depth
        todo.extend((c, depth + 1) for c in children)
    return deepest
