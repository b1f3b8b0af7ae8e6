"""The vote record, ``vote.json`` (DESIGN.md §3): what a vote is, as its bundle publishes it.

One frozen dataclass tree and one codec, :meth:`VoteRecord.to_json` / :meth:`VoteRecord.from_json`; every field
is validated once, when decoded, and an error names its JSON path (:class:`RecordError`). The key order of
:meth:`~VoteRecord.to_json` is the file's, and a record re-encodes to the bytes it was decoded from, because
vote.json is hashed (:mod:`strikevote.records.commitment`).

Format ``strikevote-vote/1``::

    {"format", "id", "simulation" (only when true), <the terms: union, title, kind, group, revote, rule, notice,
     window, trustees, eligibility, locals>, "roll_digest", "trustees_fingerprint",
     "elections": [{"local", "uuid", "fingerprint", "eligible", "credentials_fingerprint", "excluded"?}]}

Without ``elections`` it is the vote's *header*: what each local's election commits to when the elections
are set up (the trustees' export carries it too). ``excluded`` (per local, the members of the roll who may not
vote, by reason) is informational and outside the commitment; bundles published before it have none.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Final, TypeAlias
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from strikevote.crypto.groups import GROUPS
from strikevote.records import fields
from strikevote.records.errors import RecordError
from strikevote.rules import RuleError, load_rule

__all__ = [
    "EXCLUSION_REASONS",
    "KINDS",
    "REVOTE_POLICIES",
    "VOTE_FORMAT",
    "ElectionEntry",
    "EligibilityTerms",
    "Exclusions",
    "LocalTerms",
    "RuleSpec",
    "Terms",
    "TrusteeTerms",
    "VoteRecord",
    "Window",
]

VOTE_FORMAT: Final = "strikevote-vote/1"
KINDS: Final = ("strike-authorization", "ratification")
REVOTE_POLICIES: Final = ("forbidden", "last-counts")
EXCLUSION_REASONS: Final = ("not_in_good_standing", "dues_arrears", "no_email")
"""Why a member of the roll may not vote, in the order vote.json lists them (strikevote.roll.ExclusionReason)."""

RuleSpec: TypeAlias = str | dict[str, Any]
"""A rule as the vote definition gives it: a preset name or an inline table (:func:`strikevote.rules.load_rule`)."""

_MAX_TRUSTEES: Final = 64


@dataclass(frozen=True)
class Window:
    opens: datetime
    closes: datetime
    timezone: str  # an IANA name; the times carry their own offsets


@dataclass(frozen=True)
class TrusteeTerms:
    n: int
    k: int  # any k of the n together decrypt
    names: tuple[str, ...]


@dataclass(frozen=True)
class EligibilityTerms:
    cutoff: date  # dues paid through this date (with the grace period)
    grace_days: int
    require_email: bool
    good_standing: tuple[str, ...]  # the roll statuses that count as good standing, sorted


@dataclass(frozen=True)
class LocalTerms:
    id: str
    name: str
    delegates: int
    question: str


@dataclass(frozen=True)
class Terms:
    """What the vote definition fixes (``strikevote.services.definition.VoteDefinition``, its public part)."""

    union: str
    title: str
    kind: str  # one of KINDS
    group: str  # the name of a group of strikevote.crypto.groups
    revote: str  # one of REVOTE_POLICIES
    rule: RuleSpec
    notice: date | None
    window: Window
    trustees: TrusteeTerms
    eligibility: EligibilityTerms
    locals: tuple[LocalTerms, ...]
    simulation: bool = False  # a vote run by `strikevote demo`: said on vote.json, result.json, report.html

    def local(self, local_id: str) -> LocalTerms | None:
        return next((x for x in self.locals if x.id == local_id), None)

    def to_json(self) -> dict[str, Any]:
        # "simulation" only when true, so the commitment of every other vote is what it was before the flag
        simulated: dict[str, Any] = {"simulation": True} if self.simulation else {}
        return {
            **simulated,
            "union": self.union,
            "title": self.title,
            "kind": self.kind,
            "group": self.group,
            "revote": self.revote,
            "rule": self.rule,
            "notice": self.notice.isoformat() if self.notice else None,
            "window": {
                "opens": self.window.opens.isoformat(),
                "closes": self.window.closes.isoformat(),
                "timezone": self.window.timezone,
            },
            "trustees": {"n": self.trustees.n, "k": self.trustees.k, "names": list(self.trustees.names)},
            "eligibility": {
                "cutoff": self.eligibility.cutoff.isoformat(),
                "grace_days": self.eligibility.grace_days,
                "require_email": self.eligibility.require_email,
                "good_standing": list(self.eligibility.good_standing),
            },
            "locals": [
                {"id": x.id, "name": x.name, "delegates": x.delegates, "question": x.question}
                for x in self.locals
            ],
        }


@dataclass(frozen=True)
class Exclusions:
    total: int  # members of the local's roll who may not vote
    by_reason: tuple[int, ...]  # per EXCLUSION_REASONS (a member may have several reasons)

    def of(self, reason: str) -> int:
        return self.by_reason[EXCLUSION_REASONS.index(reason)]


@dataclass(frozen=True)
class ElectionEntry:
    """One local's Belenios election."""

    local: str
    uuid: str
    fingerprint: str
    eligible: int
    credentials_fingerprint: str | None  # None until the credential authority has issued the local's list
    excluded: Exclusions | None = None


@dataclass(frozen=True)
class VoteRecord:
    id: str
    terms: Terms
    roll_digest: str
    trustees_fingerprint: str
    elections: tuple[ElectionEntry, ...] | None  # None: the header only
    format: str = VOTE_FORMAT

    def header(self) -> VoteRecord:
        """The record without its elections: what the elections' descriptions commit to."""
        return replace(self, elections=None)

    def election(self, local_id: str) -> ElectionEntry | None:
        return next((e for e in self.elections or () if e.local == local_id), None)

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "format": self.format,
            "id": self.id,
            **self.terms.to_json(),
            "roll_digest": self.roll_digest,
            "trustees_fingerprint": self.trustees_fingerprint,
        }
        if self.elections is not None:
            doc["elections"] = [_election_json(e) for e in self.elections]
        return doc

    def to_text(self) -> str:
        """vote.json's text: :meth:`to_json`, indented by 2, UTF-8 as is, one final newline."""
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"

    @staticmethod
    def from_json(doc: Any, path: str = "vote", *, header_only: bool = False) -> VoteRecord:
        """Decode vote.json (``header_only``: without its ``elections``, as the trustees' export holds it)."""
        return _decode(doc, path, header_only)

    @staticmethod
    def from_text(text: str, path: str = "vote.json") -> VoteRecord:
        try:
            doc = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise RecordError(path, f"not JSON ({exc})") from None
        return _decode(doc, path, False)


def _election_json(e: ElectionEntry) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "local": e.local,
        "uuid": e.uuid,
        "fingerprint": e.fingerprint,
        "eligible": e.eligible,
        "credentials_fingerprint": e.credentials_fingerprint,
    }
    if e.excluded is not None:
        reasons = dict(zip(EXCLUSION_REASONS, e.excluded.by_reason, strict=True))
        entry["excluded"] = {"total": e.excluded.total, **reasons}
    return entry


# --- decoding ---------------------------------------------------------------------------------------------------

_TERMS_KEYS: Final = (
    "union",
    "title",
    "kind",
    "group",
    "revote",
    "rule",
    "notice",
    "window",
    "trustees",
    "eligibility",
    "locals",
)
_HEADER_KEYS: Final = ("format", "id", *_TERMS_KEYS, "roll_digest", "trustees_fingerprint")


def _decode(doc: Any, path: str, header_only: bool) -> VoteRecord:
    required = _HEADER_KEYS if header_only else (*_HEADER_KEYS, "elections")
    vote = fields.obj(doc, path, required, optional=("simulation",))
    if vote["format"] != VOTE_FORMAT:
        raise RecordError(f"{path}.format", f"must be {VOTE_FORMAT!r}, got {vote['format']!r}")
    terms = _terms(vote, path)
    elections = None if header_only else _elections(vote["elections"], f"{path}.elections")
    return VoteRecord(
        id=fields.text(vote["id"], f"{path}.id"),
        terms=terms,
        roll_digest=fields.text(vote["roll_digest"], f"{path}.roll_digest"),
        trustees_fingerprint=fields.text(vote["trustees_fingerprint"], f"{path}.trustees_fingerprint"),
        elections=elections,
    )


def _terms(vote: Mapping[str, Any], path: str) -> Terms:
    return Terms(
        union=fields.text(vote["union"], f"{path}.union"),
        title=fields.text(vote["title"], f"{path}.title"),
        kind=fields.choice(vote["kind"], f"{path}.kind", KINDS),
        group=fields.choice(vote["group"], f"{path}.group", tuple(GROUPS)),
        revote=fields.choice(vote["revote"], f"{path}.revote", REVOTE_POLICIES),
        rule=_rule(vote["rule"], f"{path}.rule"),
        notice=None if vote["notice"] is None else fields.day(vote["notice"], f"{path}.notice"),
        window=_window(vote["window"], f"{path}.window"),
        trustees=_trustees(vote["trustees"], f"{path}.trustees"),
        eligibility=_eligibility(vote["eligibility"], f"{path}.eligibility"),
        locals=_locals(vote["locals"], f"{path}.locals"),
        simulation=fields.flag(vote.get("simulation", False), f"{path}.simulation"),
    )


def _rule(value: Any, path: str) -> RuleSpec:
    if not isinstance(value, str | dict):
        raise RecordError(path, f"must be a preset name or a rule table, got {type(value).__name__}")
    try:
        load_rule(value)
    except RuleError as exc:
        raise RecordError(path, str(exc)) from None
    return value


def _window(value: Any, path: str) -> Window:
    window = fields.obj(value, path, ("opens", "closes", "timezone"))
    zone = fields.text(window["timezone"], f"{path}.timezone")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise RecordError(f"{path}.timezone", f"unknown time zone {zone!r}") from None
    opens = fields.moment(window["opens"], f"{path}.opens")
    closes = fields.moment(window["closes"], f"{path}.closes")
    if closes <= opens:
        raise RecordError(f"{path}.closes", f"{closes.isoformat()} is not after the opening")
    return Window(opens, closes, zone)


def _trustees(value: Any, path: str) -> TrusteeTerms:
    trustees = fields.obj(value, path, ("n", "k", "names"))
    n, k = fields.count(trustees["n"], f"{path}.n"), fields.count(trustees["k"], f"{path}.k")
    if not 1 <= k <= n <= _MAX_TRUSTEES:
        raise RecordError(path, f"need 1 <= k <= n <= {_MAX_TRUSTEES}, got k={k}, n={n}")
    names = fields.items(trustees["names"], f"{path}.names")
    if len(names) != n:
        raise RecordError(f"{path}.names", f"must list the {n} trustees, got {len(names)} names")
    return TrusteeTerms(
        n, k, tuple(fields.text(x, f"{path}.names[{i}]", empty=True) for i, x in enumerate(names))
    )


def _eligibility(value: Any, path: str) -> EligibilityTerms:
    el = fields.obj(value, path, ("cutoff", "grace_days", "require_email", "good_standing"))
    statuses = fields.items(el["good_standing"], f"{path}.good_standing", non_empty=True)
    return EligibilityTerms(
        cutoff=fields.day(el["cutoff"], f"{path}.cutoff"),
        grace_days=fields.count(el["grace_days"], f"{path}.grace_days"),
        require_email=fields.flag(el["require_email"], f"{path}.require_email"),
        good_standing=tuple(fields.text(x, f"{path}.good_standing[{i}]") for i, x in enumerate(statuses)),
    )


def _locals(value: Any, path: str) -> tuple[LocalTerms, ...]:
    out: list[LocalTerms] = []
    for i, raw in enumerate(fields.items(value, path, non_empty=True)):
        where = f"{path}[{i}]"
        loc = fields.obj(raw, where, ("id", "name", "delegates", "question"))
        local_id = fields.text(loc["id"], f"{where}.id")
        if any(x.id == local_id for x in out):
            raise RecordError(f"{where}.id", f"duplicate local id {local_id!r}")
        out.append(
            LocalTerms(
                id=local_id,
                name=fields.text(loc["name"], f"{where}.name"),
                delegates=fields.count(loc["delegates"], f"{where}.delegates"),
                question=fields.text(loc["question"], f"{where}.question"),
            )
        )
    return tuple(out)


def _elections(value: Any, path: str) -> tuple[ElectionEntry, ...]:
    out: list[ElectionEntry] = []
    for i, raw in enumerate(fields.items(value, path)):
        where = f"{path}[{i}]"
        e = fields.obj(
            raw,
            where,
            ("local", "uuid", "fingerprint", "eligible", "credentials_fingerprint"),
            optional=("excluded",),
        )
        local = fields.text(e["local"], f"{where}.local")
        if any(x.local == local for x in out):
            raise RecordError(f"{where}.local", f"local {local!r} has two elections")
        fingerprint = e["credentials_fingerprint"]
        out.append(
            ElectionEntry(
                local=local,
                uuid=fields.text(e["uuid"], f"{where}.uuid"),
                fingerprint=fields.text(e["fingerprint"], f"{where}.fingerprint"),
                eligible=fields.count(e["eligible"], f"{where}.eligible"),
                credentials_fingerprint=None
                if fingerprint is None
                else fields.text(fingerprint, f"{where}.credentials_fingerprint"),
                excluded=_exclusions(e["excluded"], f"{where}.excluded") if "excluded" in e else None,
            )
        )
    return tuple(out)


def _exclusions(value: Any, path: str) -> Exclusions:
    excluded = fields.obj(value, path, ("total", *EXCLUSION_REASONS))
    return Exclusions(
        total=fields.count(excluded["total"], f"{path}.total"),
        by_reason=tuple(fields.count(excluded[key], f"{path}.{key}") for key in EXCLUSION_REASONS),
    )
