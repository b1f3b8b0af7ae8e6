"""The result record, ``result.json`` (DESIGN.md §3): the counts per local and union-wide, the rule's evaluation
step by step, the outcome and its announcement.

:func:`~strikevote.records.result_build.build_result` makes it from the vote record and the rules engine's
:class:`~strikevote.rules.Evaluation`; the publisher (``services/results.py``) and the independent verifier
(:mod:`strikevote.verify.bundle`, which rebuilds it from verified data and compares it with the published one
field by field) call the same function.  Here: the record and its one codec, :meth:`ResultRecord.to_json` /
:meth:`ResultRecord.from_json`, in the file's key order; decoding validates every field, naming its path.

Conventions a verifier needs to recompute the figures (:mod:`strikevote.records.numbers`):

* ``ballots = yes + no`` (abstentions are not ballots); the popular vote is the sum of the locals' counts;
* ``yes_share`` and ``turnout`` are :func:`~strikevote.records.numbers.rounded_share` of the integers kept
  beside them;
* every percentage in the announcement is computed from the exact integers (one decimal, rounded half up).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from strikevote.records import fields
from strikevote.records.errors import RecordError
from strikevote.records.vote import KINDS, RuleSpec
from strikevote.rules import RuleError, load_rule

__all__ = [
    "DECIDERS",
    "RESULT_FORMAT",
    "DelegateVote",
    "LocalResult",
    "PopularVote",
    "ResultRecord",
    "RuleOutcome",
]

RESULT_FORMAT: Final = "strikevote-result/2"  # 2: "simulation", rule.decided_by; US spelling of in_favor

DECIDERS: Final = ("members", "locals", "delegates")
"""What a rule tests, in ``rule.decided_by``: the members' vote (a share of ballots or of the eligible, or
turnout), the count of locals in favor, the delegate vote."""


@dataclass(frozen=True)
class RuleOutcome:
    name: str
    description: str
    trace: tuple[str, ...]  # the rules engine's evaluation, step by step, for people
    threshold: float | None  # the one yes share the rule asks of a local (drawn on the chart), if it has one
    counts_locals: bool
    uses_delegates: bool
    decided_by: tuple[str, ...]  # some of DECIDERS, in that order
    spec: RuleSpec  # the rule as vote.json gives it


@dataclass(frozen=True)
class PopularVote:
    yes: int
    no: int
    ballots: int
    eligible: int
    yes_share: float
    turnout: float
    passed: bool  # the members' vote judged against the rule's popular threshold


@dataclass(frozen=True)
class DelegateVote:
    yes: int
    no: int
    total: int
    passed: bool  # each local's delegate block winner-take-all, judged against the rule's delegate threshold


@dataclass(frozen=True)
class LocalResult:
    id: str
    name: str
    delegates: int
    eligible: int
    ballots: int
    yes: int
    no: int
    yes_share: float
    turnout: float
    in_favor: bool
    delegates_yes: int
    election_uuid: str
    election_fingerprint: str


@dataclass(frozen=True)
class ResultRecord:
    simulation: bool
    union: str
    title: str
    kind: str  # one of KINDS
    group: str
    closed_at: datetime
    passed: bool
    announcement: str
    rule: RuleOutcome
    popular: PopularVote
    delegates: DelegateVote
    locals_in_favor: int
    locals: tuple[LocalResult, ...]
    format: str = RESULT_FORMAT

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "simulation": self.simulation,
            "union": self.union,
            "title": self.title,
            "kind": self.kind,
            "group": self.group,
            "closed_at": self.closed_at.isoformat(),
            "passed": self.passed,
            "announcement": self.announcement,
            "rule": _rule_json(self.rule),
            "popular": {
                "yes": self.popular.yes,
                "no": self.popular.no,
                "ballots": self.popular.ballots,
                "eligible": self.popular.eligible,
                "yes_share": self.popular.yes_share,
                "turnout": self.popular.turnout,
                "passed": self.popular.passed,
            },
            "delegates": {
                "yes": self.delegates.yes,
                "no": self.delegates.no,
                "total": self.delegates.total,
                "passed": self.delegates.passed,
            },
            "locals_in_favor": self.locals_in_favor,
            "locals": [_local_json(x) for x in self.locals],
        }

    def to_text(self) -> str:
        """result.json's text: :meth:`to_json`, indented by 2, UTF-8 as is, one final newline."""
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"

    @staticmethod
    def from_json(doc: Any, path: str = "result") -> ResultRecord:
        return _decode(doc, path)

    @staticmethod
    def from_text(text: str, path: str = "result.json") -> ResultRecord:
        try:
            doc = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise RecordError(path, f"not JSON ({exc})") from None
        return _decode(doc, path)


def _rule_json(rule: RuleOutcome) -> dict[str, Any]:
    doc: dict[str, Any] = {"name": rule.name, "description": rule.description, "trace": list(rule.trace)}
    if rule.threshold is not None:
        doc["threshold"] = rule.threshold
    doc["counts_locals"] = rule.counts_locals
    doc["uses_delegates"] = rule.uses_delegates
    doc["decided_by"] = list(rule.decided_by)
    doc["spec"] = rule.spec
    return doc


def _local_json(x: LocalResult) -> dict[str, Any]:
    return {
        "id": x.id,
        "name": x.name,
        "delegates": x.delegates,
        "eligible": x.eligible,
        "ballots": x.ballots,
        "yes": x.yes,
        "no": x.no,
        "yes_share": x.yes_share,
        "turnout": x.turnout,
        "in_favor": x.in_favor,
        "delegates_yes": x.delegates_yes,
        "election_uuid": x.election_uuid,
        "election_fingerprint": x.election_fingerprint,
    }


# --- decoding ---------------------------------------------------------------------------------------------------

_KEYS: Final = (
    "format",
    "simulation",
    "union",
    "title",
    "kind",
    "group",
    "closed_at",
    "passed",
    "announcement",
    "rule",
    "popular",
    "delegates",
    "locals_in_favor",
    "locals",
)
_RULE_KEYS: Final = ("name", "description", "trace", "counts_locals", "uses_delegates", "decided_by", "spec")
_LOCAL_KEYS: Final = tuple(LocalResult.__dataclass_fields__)


def _decode(doc: Any, path: str) -> ResultRecord:
    result = fields.obj(doc, path, _KEYS)
    if result["format"] != RESULT_FORMAT:
        raise RecordError(f"{path}.format", f"must be {RESULT_FORMAT!r}, got {result['format']!r}")
    locals_ = _locals(result["locals"], f"{path}.locals")
    in_favor = fields.count(result["locals_in_favor"], f"{path}.locals_in_favor")
    if in_favor > len(locals_):
        raise RecordError(f"{path}.locals_in_favor", f"{in_favor} of {len(locals_)} locals")
    return ResultRecord(
        simulation=fields.flag(result["simulation"], f"{path}.simulation"),
        union=fields.text(result["union"], f"{path}.union"),
        title=fields.text(result["title"], f"{path}.title"),
        kind=fields.choice(result["kind"], f"{path}.kind", KINDS),
        group=fields.text(result["group"], f"{path}.group"),
        closed_at=fields.moment(result["closed_at"], f"{path}.closed_at"),
        passed=fields.flag(result["passed"], f"{path}.passed"),
        announcement=fields.text(result["announcement"], f"{path}.announcement"),
        rule=_rule(result["rule"], f"{path}.rule"),
        popular=_popular(result["popular"], f"{path}.popular"),
        delegates=_delegates(result["delegates"], f"{path}.delegates"),
        locals_in_favor=in_favor,
        locals=locals_,
    )


def _rule(value: Any, path: str) -> RuleOutcome:
    rule = fields.obj(value, path, _RULE_KEYS, optional=("threshold",))
    decided_by = fields.items(rule["decided_by"], f"{path}.decided_by", non_empty=True)
    spec = rule["spec"]
    if not isinstance(spec, str | dict):
        raise RecordError(f"{path}.spec", f"must be a preset name or a rule table, got {type(spec).__name__}")
    try:
        load_rule(spec)
    except RuleError as exc:
        raise RecordError(f"{path}.spec", str(exc)) from None
    trace = fields.items(rule["trace"], f"{path}.trace")
    return RuleOutcome(
        name=fields.text(rule["name"], f"{path}.name"),
        description=fields.text(rule["description"], f"{path}.description", empty=True),
        trace=tuple(fields.text(x, f"{path}.trace[{i}]", empty=True) for i, x in enumerate(trace)),
        threshold=fields.share(rule["threshold"], f"{path}.threshold") if "threshold" in rule else None,
        counts_locals=fields.flag(rule["counts_locals"], f"{path}.counts_locals"),
        uses_delegates=fields.flag(rule["uses_delegates"], f"{path}.uses_delegates"),
        decided_by=tuple(
            fields.choice(x, f"{path}.decided_by[{i}]", DECIDERS) for i, x in enumerate(decided_by)
        ),
        spec=spec,
    )


def _ballots(yes: int, no: int, ballots: int, eligible: int, path: str) -> None:
    if ballots != yes + no:
        raise RecordError(f"{path}.ballots", f"{ballots} is not yes + no = {yes + no}")
    if ballots > eligible:
        raise RecordError(f"{path}.ballots", f"{ballots} ballots exceed the {eligible} eligible members")


def _popular(value: Any, path: str) -> PopularVote:
    p = fields.obj(value, path, tuple(PopularVote.__dataclass_fields__))
    popular = PopularVote(
        yes=fields.count(p["yes"], f"{path}.yes"),
        no=fields.count(p["no"], f"{path}.no"),
        ballots=fields.count(p["ballots"], f"{path}.ballots"),
        eligible=fields.count(p["eligible"], f"{path}.eligible"),
        yes_share=fields.share(p["yes_share"], f"{path}.yes_share"),
        turnout=fields.share(p["turnout"], f"{path}.turnout"),
        passed=fields.flag(p["passed"], f"{path}.passed"),
    )
    _ballots(popular.yes, popular.no, popular.ballots, popular.eligible, path)
    return popular


def _delegates(value: Any, path: str) -> DelegateVote:
    d = fields.obj(value, path, ("yes", "no", "total", "passed"))
    delegates = DelegateVote(
        yes=fields.count(d["yes"], f"{path}.yes"),
        no=fields.count(d["no"], f"{path}.no"),
        total=fields.count(d["total"], f"{path}.total"),
        passed=fields.flag(d["passed"], f"{path}.passed"),
    )
    if delegates.yes + delegates.no > delegates.total:
        raise RecordError(f"{path}.total", f"yes + no exceeds the total {delegates.total}")
    return delegates


def _locals(value: Any, path: str) -> tuple[LocalResult, ...]:
    out: list[LocalResult] = []
    for i, raw in enumerate(fields.items(value, path, non_empty=True)):
        where = f"{path}[{i}]"
        x = fields.obj(raw, where, _LOCAL_KEYS)
        local = LocalResult(
            id=fields.text(x["id"], f"{where}.id"),
            name=fields.text(x["name"], f"{where}.name"),
            delegates=fields.count(x["delegates"], f"{where}.delegates"),
            eligible=fields.count(x["eligible"], f"{where}.eligible"),
            ballots=fields.count(x["ballots"], f"{where}.ballots"),
            yes=fields.count(x["yes"], f"{where}.yes"),
            no=fields.count(x["no"], f"{where}.no"),
            yes_share=fields.share(x["yes_share"], f"{where}.yes_share"),
            turnout=fields.share(x["turnout"], f"{where}.turnout"),
            in_favor=fields.flag(x["in_favor"], f"{where}.in_favor"),
            delegates_yes=fields.count(x["delegates_yes"], f"{where}.delegates_yes"),
            election_uuid=fields.text(x["election_uuid"], f"{where}.election_uuid"),
            election_fingerprint=fields.text(x["election_fingerprint"], f"{where}.election_fingerprint"),
        )
        _ballots(local.yes, local.no, local.ballots, local.eligible, where)
        if local.delegates_yes > local.delegates:
            raise RecordError(f"{where}.delegates_yes", f"exceeds the local's {local.delegates} delegates")
        if any(y.id == local.id for y in out):
            raise RecordError(f"{where}.id", f"duplicate local id {local.id!r}")
        out.append(local)
    return tuple(out)
