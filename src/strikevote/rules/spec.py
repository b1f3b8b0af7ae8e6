"""Parsing rule tables (as read from TOML) into :class:`~strikevote.rules.model.Rule` values.

The table format is documented in :mod:`strikevote.rules`. Every error is a :class:`RuleError` whose message
starts with the path of the bad key, e.g. ``rule.all[1].popular: ...``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from fractions import Fraction
from typing import Any, Final

from .model import (
    AllOf,
    AnyOf,
    DelegateMajority,
    EligibleShare,
    IfThenElse,
    LocalsInFavor,
    Node,
    Not,
    PopularShare,
    PresetRef,
    Rule,
    RuleError,
    Side,
    Turnout,
)
from .thresholds import MAJORITY, Comparison, Threshold

__all__ = [
    "ALL_LOCALS",
    "KINDS",
    "META",
    "derived_thresholds",
    "describe",
    "parse_rule",
    "parse_threshold",
    "walk",
]

KINDS: Final[dict[str, frozenset[str]]] = {
    "popular": frozenset({"side", "label"}),
    "eligible_share": frozenset({"side", "label"}),
    "turnout": frozenset({"label"}),
    "locals_in_favor": frozenset({"local", "label"}),
    "delegates": frozenset({"local", "label"}),
    "all": frozenset({"label"}),
    "any": frozenset({"label"}),
    "not": frozenset({"label"}),
    "if": frozenset({"then", "else", "label"}),
    "preset": frozenset({"label"}),
}
"""Each block kind and the option keys it accepts besides its own."""

META: Final = frozenset({"name", "description", "local", "sources"})
"""Keys allowed only in the top-level table of a rule."""

_OPTIONS: Final = frozenset().union(*KINDS.values())
_OPS: Final = {
    ">=": Comparison.GE,
    "≥": Comparison.GE,
    ">": Comparison.GT,
    "<=": Comparison.LE,
    "≤": Comparison.LE,
    "<": Comparison.LT,
}
_THRESHOLD_RE: Final = re.compile(r"^\s*(>=|≥|>|<=|≤|<)\s*(\S.*?)\s*$")
ALL_LOCALS: Final = Threshold(Comparison.GE, Fraction(1))


def parse_threshold(value: object, path: str, key: str, *, lower_bound: bool = False) -> Threshold:
    """``">= 3/4"``, ``"> 50%"``, ``"< 0.5"`` or ``"majority"`` (``> 1/2``) → :class:`Threshold`.

    The value may be a fraction (``2/3``), a percentage (``66.5%``) or a decimal (``0.4``), within [0, 1].
    ``lower_bound`` admits only ``>=``/``>`` (for per-local, locals and delegate thresholds).
    """
    if not isinstance(value, str):
        raise RuleError(path, key, f"expected a threshold string such as '>= 3/4', got {value!r}")
    if value.strip().lower() == "majority":
        return MAJORITY
    match = _THRESHOLD_RE.match(value)
    if match is None:
        raise RuleError(path, key, f"threshold {value!r} must start with >=, >, <= or < (e.g. '>= 3/4')")
    op = _OPS[match.group(1)]
    if lower_bound and not op.is_lower_bound:
        raise RuleError(path, key, f"threshold {value!r} must be a lower bound (>= or >)")
    text = re.sub(r"\s+", "", match.group(2))
    try:
        number = Fraction(text[:-1]) / 100 if text.endswith("%") else Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise RuleError(path, key, f"{match.group(2)!r} is not a number such as 3/4, 75% or 0.75") from None
    if not 0 <= number <= 1:
        raise RuleError(path, key, f"threshold {value!r} must lie between 0 and 1 (0% and 100%)")
    return Threshold(op, number)


def _text(value: object, path: str, key: str) -> str:
    if not isinstance(value, str):
        raise RuleError(path, key, f"expected a string, got {value!r}")
    return value


def _table(value: object, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise RuleError(path, None, f"expected a table (e.g. {{ popular = '>= 3/4' }}), got {value!r}")
    for key in value:
        if not isinstance(key, str):
            raise RuleError(path, str(key), "keys must be strings")
    return value


def _side(value: object, path: str) -> Side:
    if value not in ("yes", "no"):
        raise RuleError(path, "side", f"must be 'yes' or 'no', got {value!r}")
    return Side.YES if value == "yes" else Side.NO


def _locals_need(value: object, path: str) -> Threshold | int:
    if isinstance(value, bool):
        raise RuleError(
            path, "locals_in_favor", f"expected 'majority', 'all', a count or a threshold, got {value!r}"
        )
    if isinstance(value, int):
        if value < 1:
            raise RuleError(path, "locals_in_favor", f"a count of locals must be at least 1, got {value}")
        return value
    if isinstance(value, str) and value.strip().lower() == "all":
        return ALL_LOCALS
    return parse_threshold(value, path, "locals_in_favor", lower_bound=True)


def _bind_local(node: Node, local: Threshold) -> Node:
    """``node`` with every locals/delegates block lacking its own per-local threshold given ``local``."""
    if isinstance(node, LocalsInFavor | DelegateMajority):
        return node if node.local is not None else dataclasses.replace(node, local=local)
    if isinstance(node, AllOf | AnyOf):
        return dataclasses.replace(node, conditions=tuple(_bind_local(c, local) for c in node.conditions))
    if isinstance(node, Not):
        return dataclasses.replace(node, condition=_bind_local(node.condition, local))
    if isinstance(node, IfThenElse):
        return dataclasses.replace(
            node,
            condition=_bind_local(node.condition, local),
            then=_bind_local(node.then, local),
            otherwise=_bind_local(node.otherwise, local),
        )
    return node  # leaves without locals; PresetRef trees are bound when made


# Spellings accepted for a block kind besides its own (rules written before the US spelling was adopted).
ALIASES: Final = {"locals_in_favour": "locals_in_favor"}


def _parse_node(raw: object, path: str, presets: Mapping[str, Rule], *, root: bool) -> Node:
    table = _table(raw, path)
    for alias, key in ALIASES.items():
        if alias in table:
            if key in table:
                raise RuleError(path, alias, f"the same block as {key!r}, given twice")
            table = {ALIASES.get(k, k): v for k, v in table.items()}
    for key in table:
        if key not in KINDS and key not in _OPTIONS and not (root and key in META):
            expected = ", ".join(sorted(KINDS))
            raise RuleError(
                path, key, f"unknown key (expected a block kind: {expected}; or an option of one)"
            )
    kinds = [key for key in table if key in KINDS]
    if not kinds:
        raise RuleError(path, None, f"no rule block in this table (expected one of: {', '.join(KINDS)})")
    if len(kinds) > 1:
        raise RuleError(
            path, kinds[1], f"a table holds one block, found {kinds[0]!r} too; combine with all/any"
        )
    kind = kinds[0]
    allowed = KINDS[kind] | (META if root else frozenset())
    for key in table:
        if key != kind and key not in allowed:
            raise RuleError(
                path, key, f"not allowed with {kind!r} (allowed: {', '.join(sorted(KINDS[kind]))})"
            )
    label = _text(table.get("label", ""), path, "label")
    value = table[kind]
    local = parse_threshold(table["local"], path, "local", lower_bound=True) if "local" in table else None
    side = _side(table.get("side", "yes"), path)

    if kind == "popular":
        return PopularShare(parse_threshold(value, path, kind), side, label)
    if kind == "eligible_share":
        return EligibleShare(parse_threshold(value, path, kind), side, label)
    if kind == "turnout":
        return Turnout(parse_threshold(value, path, kind), label)
    if kind == "locals_in_favor":
        return LocalsInFavor(_locals_need(value, path), local, label)
    if kind == "delegates":
        return DelegateMajority(parse_threshold(value, path, kind, lower_bound=True), local, label)
    if kind in ("all", "any"):
        if isinstance(value, str | bytes) or not isinstance(value, list | tuple) or not value:
            raise RuleError(path, kind, f"expected a non-empty list of tables, got {value!r}")
        children = tuple(
            _parse_node(child, f"{path}.{kind}[{i}]", presets, root=False) for i, child in enumerate(value)
        )
        return AllOf(children, label) if kind == "all" else AnyOf(children, label)
    if kind == "not":
        return Not(_parse_node(value, f"{path}.not", presets, root=False), label)
    if kind == "if":
        for needed in ("then", "else"):
            if needed not in table:
                raise RuleError(path, needed, "missing: an 'if' block needs both 'then' and 'else'")
        return IfThenElse(
            _parse_node(value, f"{path}.if", presets, root=False),
            _parse_node(table["then"], f"{path}.then", presets, root=False),
            _parse_node(table["else"], f"{path}.else", presets, root=False),
            label,
        )
    name = _text(value, path, "preset")
    if name not in presets:
        raise RuleError(path, "preset", f"unknown preset {name!r} (known: {', '.join(sorted(presets))})")
    preset = presets[name]
    return PresetRef(name, _bind_local(preset.root, preset.local), label)


def walk(node: Node, *, guards: bool) -> Iterator[Node]:
    """Nodes depth-first in reading order; with ``guards=False`` skip ``not`` blocks and ``if`` conditions
    (they test for rejection or choose a branch rather than state what the measure needs)."""
    yield node
    children: tuple[Node, ...] = ()
    if isinstance(node, AllOf | AnyOf):
        children = node.conditions
    elif isinstance(node, Not):
        children = (node.condition,) if guards else ()
    elif isinstance(node, IfThenElse):
        children = (node.condition, node.then, node.otherwise) if guards else (node.then, node.otherwise)
    elif isinstance(node, PresetRef):
        children = (node.node,)
    for child in children:
        yield from walk(child, guards=guards)


def derived_thresholds(root: Node, local: Threshold | None) -> tuple[Threshold, Threshold, Threshold]:
    """The rule-level (local, popular, delegates) thresholds of a tree.

    popular: the first yes-share-of-ballots lower bound the tree requires, else a strict majority.
    local: ``local`` if given, else the first per-local threshold in the tree, else ``popular``.
    delegates: the first delegate-majority threshold the tree requires, else a strict majority.
    """
    popular = next(
        (
            n.threshold
            for n in walk(root, guards=False)
            if isinstance(n, PopularShare) and n.side is Side.YES and n.threshold.op.is_lower_bound
        ),
        MAJORITY,
    )
    if local is None:
        local = next(
            (
                n.local
                for n in walk(root, guards=True)
                if isinstance(n, LocalsInFavor | DelegateMajority) and n.local
            ),
            popular,
        )
    delegates = next(
        (n.threshold for n in walk(root, guards=False) if isinstance(n, DelegateMajority)),
        MAJORITY,
    )
    return local, popular, delegates


def parse_rule(spec: Mapping[str, Any], presets: Mapping[str, Rule], *, path: str = "rule") -> Rule:
    """A rule table → :class:`Rule`; ``presets`` resolves ``{ preset = "name" }`` blocks."""
    table = _table(spec, path)
    root = _parse_node(table, path, presets, root=True)
    explicit_local = (
        parse_threshold(table["local"], path, "local", lower_bound=True) if "local" in table else None
    )
    local, popular, delegates = derived_thresholds(root, explicit_local)

    base = presets[root.name] if isinstance(root, PresetRef) else None
    if base is not None and explicit_local is not None:
        raise RuleError(
            path, "local", "a preset keeps its own per-local threshold; write the rule out to change it"
        )
    name = _text(table.get("name", base.name if base else "inline"), path, "name")
    if not name.strip():
        raise RuleError(path, "name", "must not be empty")
    if "description" in table:
        description = _text(table["description"], path, "description")
    else:
        description = base.description if base else describe(root, local)
    raw_sources = table.get("sources", list(base.sources) if base else [])
    if isinstance(raw_sources, str) or not isinstance(raw_sources, list | tuple):
        raise RuleError(path, "sources", f"expected a list of strings, got {raw_sources!r}")
    sources = tuple(_text(s, path, "sources") for s in raw_sources)
    if base is not None:
        local, popular, delegates = base.local, base.popular, base.delegates
    return Rule(name, description, root, local, popular, delegates, sources)


def describe(node: Node, local: Threshold, *, nested: bool = False) -> str:
    """A one-line English description of a rule tree (``local``: the rule's per-local threshold)."""
    if isinstance(node, PopularShare):
        return f"{node.side.value} {node.threshold} of the ballots cast"
    if isinstance(node, EligibleShare):
        return f"{node.side.value} {node.threshold} of all eligible members"
    if isinstance(node, Turnout):
        return f"turnout {node.threshold}"
    if isinstance(node, LocalsInFavor):
        per_local = f"a local is in favor when its yes share is {node.local or local}"
        if isinstance(node.need, int):
            need = f"at least {node.need} local{'s' if node.need != 1 else ''} in favor"
        elif node.need == MAJORITY:
            need = "a majority of locals in favor"
        elif node.need == ALL_LOCALS:
            need = "every local in favor"
        else:
            need = f"locals in favor {node.need} of all locals"
        return f"{need} ({per_local})"
    if isinstance(node, DelegateMajority):
        need = "a majority" if node.threshold == MAJORITY else f"{node.threshold}"
        return (
            f"{need} of delegate votes, each local's block going wholly yes when its yes share is "
            f"{node.local or local}"
        )
    if isinstance(node, AllOf | AnyOf):
        joiner = " and " if isinstance(node, AllOf) else " or "
        text = joiner.join(describe(c, local, nested=True) for c in node.conditions)
        return f"({text})" if nested and len(node.conditions) > 1 else text
    if isinstance(node, Not):
        return f"not ({describe(node.condition, local)})"
    if isinstance(node, IfThenElse):
        cond, then = describe(node.condition, local, nested=True), describe(node.then, local, nested=True)
        text = f"if {cond} then {then}, otherwise {describe(node.otherwise, local, nested=True)}"
        return f"({text})" if nested else text
    return f"the {node.name} rule"
