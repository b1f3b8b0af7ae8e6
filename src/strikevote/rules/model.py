"""Data types of the rules engine: rule nodes (the blocks of a rule table), rules and evaluations; the counts
and thresholds they test are in :mod:`strikevote.rules.thresholds`.  Everything here is an immutable value.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Any, TypeAlias

from .thresholds import MAJORITY, Comparison, Threshold

__all__ = [
    "AllOf",
    "AnyOf",
    "DelegateMajority",
    "EligibleShare",
    "Evaluation",
    "IfThenElse",
    "LocalsInFavor",
    "Node",
    "Not",
    "PopularShare",
    "PresetRef",
    "Rule",
    "RuleError",
    "Side",
    "Turnout",
]


class RuleError(ValueError):
    """A rule specification is invalid. ``path`` locates the offending table (``rule.all[1]``) and ``key``
    names the offending key; both appear in the message."""

    def __init__(self, path: str, key: str | None, message: str) -> None:
        self.path = path
        self.key = key
        where = f"{path}.{key}" if key is not None else path
        super().__init__(f"{where}: {message}")


class Side(StrEnum):
    """Which answer a share counts."""

    YES = "yes"
    NO = "no"


# --- rule nodes ------------------------------------------------------------------------------------------
# Each node is one declarative building block; ``label`` (optional) replaces the default wording in traces.


@dataclass(frozen=True)
class PopularShare:
    """Share of ``side`` answers among all ballots cast, union-wide (the popular vote)."""

    threshold: Threshold
    side: Side = Side.YES
    label: str = ""


@dataclass(frozen=True)
class EligibleShare:
    """Share of ``side`` answers among all eligible members (abstentions count against)."""

    threshold: Threshold
    side: Side = Side.YES
    label: str = ""


@dataclass(frozen=True)
class Turnout:
    """Ballots cast over eligible members, union-wide: a floor (``>=``), or ``<`` in a condition."""

    threshold: Threshold
    label: str = ""


@dataclass(frozen=True)
class LocalsInFavor:
    """Count of locals in favor. A local is in favor when its own yes share meets ``local`` (default: the
    rule's per-local threshold). ``need`` is either a share of all locals (``MAJORITY`` = more than half,
    ``>= 1`` = every local) or a minimum number of locals."""

    need: Threshold | int
    local: Threshold | None = None
    label: str = ""


@dataclass(frozen=True)
class DelegateMajority:
    """Delegate-weighted winner-take-all: each local's whole delegate block votes yes when the local's yes
    share meets ``local`` (default: the rule's per-local threshold), otherwise no; the yes delegate votes
    must meet ``threshold`` of all delegate votes."""

    threshold: Threshold = MAJORITY
    local: Threshold | None = None
    label: str = ""


@dataclass(frozen=True)
class AllOf:
    conditions: tuple[Node, ...]
    label: str = ""


@dataclass(frozen=True)
class AnyOf:
    conditions: tuple[Node, ...]
    label: str = ""


@dataclass(frozen=True)
class Not:
    condition: Node
    label: str = ""


@dataclass(frozen=True)
class IfThenElse:
    """If ``condition`` is met, ``then`` decides; otherwise ``otherwise`` decides."""

    condition: Node
    then: Node
    otherwise: Node
    label: str = ""


@dataclass(frozen=True)
class PresetRef:
    """A named preset used inside another rule; ``node`` is the preset's tree with its per-local threshold
    bound into every locals/delegates block, so it means the same wherever it is used."""

    name: str
    node: Node
    label: str = ""


Node: TypeAlias = (
    PopularShare
    | EligibleShare
    | Turnout
    | LocalsInFavor
    | DelegateMajority
    | AllOf
    | AnyOf
    | Not
    | IfThenElse
    | PresetRef
)


def node_to_spec(node: Node) -> dict[str, Any]:
    """The rule-table form of ``node`` (what :func:`strikevote.rules.load_rule` accepts)."""
    spec: dict[str, Any]
    if isinstance(node, PopularShare | EligibleShare):
        key = "popular" if isinstance(node, PopularShare) else "eligible_share"
        spec = {key: node.threshold.to_spec()}
        if node.side is not Side.YES:
            spec["side"] = node.side.value
    elif isinstance(node, Turnout):
        spec = {"turnout": node.threshold.to_spec()}
    elif isinstance(node, LocalsInFavor):
        need: str | int
        if isinstance(node.need, int):
            need = node.need
        elif node.need == MAJORITY:
            need = "majority"
        elif node.need == Threshold(Comparison.GE, Fraction(1)):
            need = "all"
        else:
            need = node.need.to_spec()
        spec = {"locals_in_favor": need}
        if node.local is not None:
            spec["local"] = node.local.to_spec()
    elif isinstance(node, DelegateMajority):
        spec = {"delegates": "majority" if node.threshold == MAJORITY else node.threshold.to_spec()}
        if node.local is not None:
            spec["local"] = node.local.to_spec()
    elif isinstance(node, AllOf | AnyOf):
        key = "all" if isinstance(node, AllOf) else "any"
        spec = {key: [node_to_spec(child) for child in node.conditions]}
    elif isinstance(node, Not):
        spec = {"not": node_to_spec(node.condition)}
    elif isinstance(node, IfThenElse):
        spec = {
            "if": node_to_spec(node.condition),
            "then": node_to_spec(node.then),
            "else": node_to_spec(node.otherwise),
        }
    else:
        spec = {"preset": node.name}
    if node.label:
        spec["label"] = node.label
    return spec


@dataclass(frozen=True)
class Rule:
    """A named decision rule.

    ``root`` decides the outcome. ``local`` is the per-local threshold: it decides which locals are in favor
    and where each delegate block goes, both in the rule and in the popular/delegate figures every evaluation
    reports. ``popular`` and ``delegates`` are the thresholds those reported figures are judged against.
    """

    name: str
    description: str
    root: Node
    local: Threshold = MAJORITY
    popular: Threshold = MAJORITY
    delegates: Threshold = MAJORITY
    sources: tuple[str, ...] = ()

    def to_spec(self) -> dict[str, Any]:
        """A rule table that :func:`strikevote.rules.load_rule` turns back into an equivalent rule."""
        spec: dict[str, Any] = {"name": self.name, "description": self.description}
        if self.sources:
            spec["sources"] = list(self.sources)
        if not isinstance(self.root, PresetRef):  # a preset at the root brings its own thresholds
            spec["local"] = self.local.to_spec()
        root = node_to_spec(self.root)
        if "local" in root and root["local"] != spec.get("local"):
            raise RuleError("rule", "local", "the root block's per-local threshold differs from the rule's")
        spec.update(root)
        return spec


@dataclass(frozen=True)
class Evaluation:
    """The outcome of a rule over verified per-local counts, with a readable trace.

    ``popular``: ``yes, no, ballots, eligible, yes_share, turnout, required, passed`` (the popular vote judged
    against the rule's popular threshold). ``delegates``: ``yes, no, total, required, passed`` (each local's
    delegate block winner-take-all by the rule's per-local threshold; judged against the rule's delegate
    threshold, a strict majority unless the rule says otherwise). ``per_local``: one dict per local, in
    input order. Shares are floats here; the decision itself was made with exact fractions.
    """

    rule: str
    description: str
    passed: bool
    trace: list[str]
    popular: dict[str, Any]
    delegates: dict[str, Any]
    locals_in_favor: int
    per_local: list[dict[str, Any]]
    counts_locals: bool = False
    uses_delegates: bool = False
    uses_popular: bool = False  # a share of the members' ballots, of the eligible, or turnout is tested
    popular_threshold: float = 0.5
    threshold: float | None = None
    """The one yes share the rule asks of a local, drawn on the yes-share chart: the per-local threshold
    for a rule that counts locals or delegates, the popular threshold otherwise; ``None`` when the rule
    has no single such threshold (several different ones, a "no" side, or only shares of the eligible)."""

    def to_json(self) -> dict[str, Any]:
        """A JSON-serialisable copy (keys: rule, description, passed, trace, popular, delegates,
        locals_in_favor, per_local, counts_locals, uses_delegates, uses_popular, threshold)."""
        return {
            "rule": self.rule,
            "description": self.description,
            "passed": self.passed,
            "trace": list(self.trace),
            "popular": copy.deepcopy(self.popular),
            "delegates": copy.deepcopy(self.delegates),
            "locals_in_favor": self.locals_in_favor,
            "per_local": copy.deepcopy(self.per_local),
            "counts_locals": self.counts_locals,
            "uses_delegates": self.uses_delegates,
            "uses_popular": self.uses_popular,
            "threshold": self.threshold,
        }
