"""The vote definition (TOML), validated field by field (DESIGN.md §1, §4, §5).

Example::

    union = "International Alliance of Theatrical Stage Employees"
    title = "Strike authorization vote"
    kind = "strike-authorization"            # or "ratification"
    question = "Do you authorize a strike?"   # default question; a local may override it
    group = "Ed25519"                         # or "BELENIOS-2048"
    revote = "forbidden"                      # or "last-counts"
    rule = "articles-iatse"                   # a preset name or an inline [rule] table
    notice = 2021-09-15                       # date members were notified

    [window]
    opens = 2021-10-01T09:00:00
    closes = 2021-10-03T23:59:00
    timezone = "America/New_York"

    [trustees]
    n = 3
    k = 2
    names = ["Alice", "Bob", "Carol"]         # optional

    [eligibility]
    cutoff = 2021-09-30
    grace_days = 30
    require_email = true
    good_standing = ["good-standing", "active"]   # optional; roll statuses that count as good standing

    [[locals]]
    id = "600"
    name = "International Cinematographers Guild"
    delegates = 27
    question = "…"                            # optional

    [mail]                                    # optional: see strikevote.mail.settings for every key
    from = "Election Committee <elections@atw.example>"
    public_url = "https://vote.atw.example"
    host = "smtp.atw.example"
    security = "starttls"                     # or "tls", "none"
    username = "elections"
    password_env = "STRIKEVOTE_SMTP_PASSWORD" # or password_file = "/path"; never the password itself

    [reminders]                               # optional
    at = [2021-10-02T09:00:00]                # reminders to members who have not voted yet

``[mail]`` (keys: ``from``, ``reply_to``, ``contact``, ``public_url``, ``host``, ``port``, ``security``,
``ca_file``, ``username``, ``password_env``, ``password_file``, ``rate``) is needed to mail credential letters,
confirmations and reminders; an unknown key, a bad port or a missing ``from`` is one clear error. It is kept
apart from the public definition (``vote.json``): it names the mail server. ``[reminders] at`` lists times
inside the voting window (the vote's time zone unless an offset is given).

``notice`` is optional, but the 15-day notice check (DESIGN.md §5) needs it: when the vote opens less than
15 days after ``notice`` a warning says so, and when ``notice`` is missing a warning says the check was not made.
Warnings never stop the vote being called; they are printed by ``vote create`` and ``roll check``.

``simulation = true`` (optional, default false) marks a vote that is not real, as ``strikevote demo`` runs:
vote.json and result.json carry ``"simulation": true`` and the certificate and announcement say SIMULATION.

``[eligibility]``: a member may vote when their status counts as good standing, their dues are paid through
``cutoff`` or at most ``grace_days`` (default 0) before it (members on dues check-off are never excluded for
arrears), and, when ``require_email`` (default true), a registered email. ``good_standing`` lists the roll
statuses that count as good standing for this vote (default ``["active", "good-standing"]``); each must be one
of the statuses a roll may use (:data:`strikevote.roll.KNOWN_STATUSES`: ``active``, ``expelled``,
``good-standing``, ``retired``, ``suspended``, ``withdrawn``; spelling as in the roll, e.g. ``"Good Standing"``
is ``good-standing``). For instance ``good_standing = ["good-standing", "active", "retired"]`` lets retirees vote.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from strikevote.crypto.groups import GROUPS
from strikevote.db import models
from strikevote.mail.settings import MailPlan, parse_mail, parse_reminders
from strikevote.records.vote import (
    KINDS,
    REVOTE_POLICIES,
    EligibilityTerms,
    LocalTerms,
    Terms,
    TrusteeTerms,
    Window,
)
from strikevote.roll import GOOD_STANDING_STATUSES, KNOWN_STATUSES, EligibilityPolicy
from strikevote.roll.model import normalize_status
from strikevote.rules import Rule, RuleError, load_rule
from strikevote.services.errors import DefinitionError

TOP_KEYS = {
    "union",
    "title",
    "kind",
    "question",
    "group",
    "revote",
    "rule",
    "notice",
    "window",
    "trustees",
    "eligibility",
    "locals",
    "id",
    "simulation",
    "mail",
    "reminders",
}
MIN_PRIVATE_LOCAL = 10
MIN_NOTICE_DAYS = 15


@dataclass(frozen=True)
class LocalDef:
    id: str
    name: str
    delegates: int
    question: str


@dataclass(frozen=True)
class VoteDefinition:
    union: str
    title: str
    kind: str
    group: str
    revote: str
    rule_spec: Any
    notice: date | None
    opens: datetime
    closes: datetime
    timezone: str
    trustees_n: int
    trustees_k: int
    trustee_names: tuple[str, ...]
    eligibility: EligibilityPolicy
    locals: tuple[LocalDef, ...]
    id: str | None = None
    simulation: bool = (
        False  # a simulated vote (strikevote demo): said on vote.json, result.json, report.html
    )
    warnings: tuple[str, ...] = field(default=(), compare=False)
    # [mail] and [reminders]: not in to_json (vote.json), stored apart (votes.mail_settings)
    mail_plan: MailPlan = field(default=MailPlan(None), compare=False)

    @property
    def rule(self) -> Rule:
        return load_rule(self.rule_spec)

    def local(self, local_id: str) -> LocalDef:
        for loc in self.locals:
            if loc.id == local_id:
                return loc
        raise KeyError(local_id)

    def terms(self) -> Terms:
        """The public part of the definition, as vote.json holds it."""
        return Terms(
            union=self.union,
            title=self.title,
            kind=self.kind,
            group=self.group,
            revote=self.revote,
            rule=self.rule_spec,
            notice=self.notice,
            window=Window(self.opens, self.closes, self.timezone),
            trustees=TrusteeTerms(self.trustees_n, self.trustees_k, self.trustee_names),
            eligibility=EligibilityTerms(
                cutoff=self.eligibility.cutoff,
                grace_days=self.eligibility.grace_days,
                require_email=self.eligibility.require_email,
                good_standing=tuple(sorted(self.eligibility.good_standing_statuses)),
            ),
            locals=tuple(LocalTerms(x.id, x.name, x.delegates, x.question) for x in self.locals),
            simulation=self.simulation,
        )

    def to_json(self) -> dict[str, Any]:
        """The definition as the database stores it: vote.json's terms (:meth:`terms`)."""
        return self.terms().to_json()

    @staticmethod
    def from_json(obj: dict[str, Any]) -> VoteDefinition:
        return parse_definition(_json_to_toml_shape(obj), "vote definition")


def _json_to_toml_shape(obj: dict[str, Any]) -> dict[str, Any]:
    out = dict(obj)
    if out.get("notice"):
        out["notice"] = date.fromisoformat(out["notice"])
    else:
        out.pop("notice", None)
    w = dict(out["window"])
    w["opens"], w["closes"] = datetime.fromisoformat(w["opens"]), datetime.fromisoformat(w["closes"])
    out["window"] = w
    el = dict(out["eligibility"])
    el["cutoff"] = date.fromisoformat(el["cutoff"])
    out["eligibility"] = el
    return out


def _column_length(column: Any) -> int:
    return int(column.type.length)


# The longest values the database holds, checked here so that SQLite (which ignores VARCHAR lengths) and
# PostgreSQL (which refuses longer values) accept exactly the same definitions.
MAX_VOTE_ID = _column_length(models.Vote.__table__.c.id)
MAX_UNION = _column_length(models.Vote.__table__.c.union_name)
MAX_TITLE = _column_length(models.Vote.__table__.c.title)
MAX_LOCAL_ID = _column_length(models.Election.__table__.c.local_id)
MAX_TRUSTEE_NAME = _column_length(models.Trustee.__table__.c.name)
MAX_LOCAL_NAME = 200
MAX_QUESTION = 2000
MAX_FILE_BYTES = 1 << 20  # a vote definition is a few kilobytes


def load_definition(path: Path) -> VoteDefinition:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise DefinitionError(f"{path}: larger than {MAX_FILE_BYTES // 1024} KiB: not a vote definition")
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DefinitionError(f"{path}: cannot read ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DefinitionError(f"{path}: invalid TOML ({exc})") from None
    except RecursionError:
        raise DefinitionError(f"{path}: invalid TOML (nested too deeply)") from None
    return parse_definition(data, str(path))


def _req(table: dict[str, Any], key: str, where: str, typ: type | tuple[type, ...]) -> Any:
    if key not in table:
        raise DefinitionError(f"{where}: missing key '{key}'")
    value = table[key]
    if not isinstance(value, typ) or (isinstance(value, bool) and typ is int):
        name = typ.__name__ if isinstance(typ, type) else " or ".join(t.__name__ for t in typ)
        raise DefinitionError(f"{where}: '{key}' must be a {name}, got {value!r}")
    return value


def _text(table: dict[str, Any], key: str, where: str, max_len: int) -> str:
    value = _req(table, key, where, str).strip()
    if not value:
        raise DefinitionError(f"{where}: '{key}' must not be empty")
    if len(value) > max_len:
        raise DefinitionError(f"{where}: '{key}' is longer than {max_len} characters")
    return str(value)


def _unknown(table: dict[str, Any], allowed: set[str], where: str) -> None:
    for key in table:
        if key not in allowed:
            raise DefinitionError(f"{where}: unknown key '{key}'")


def parse_definition(data: dict[str, Any], where: str) -> VoteDefinition:
    """The definition in ``data`` (a TOML document, or vote.json's terms in that shape), checked field by field;
    ``where`` (the file) starts every error."""
    _unknown(data, TOP_KEYS, where)
    kind, group, revote, rule_spec = _choices(data, where)
    window = _window(data, where)
    n, k, names = _trustees(data, where)
    eligibility = _eligibility(data, where)
    locals_ = _locals(data, where)
    notice, warnings = _notice(data, where, window.opens)
    simulation = data.get("simulation", False)
    if not isinstance(simulation, bool):
        raise DefinitionError(f"{where}: 'simulation' must be true or false")
    mail_plan = _mail_plan(data, where, window)
    vote_id = _vote_id(data, where)
    return VoteDefinition(
        union=_text(data, "union", where, MAX_UNION),
        title=_text(data, "title", where, MAX_TITLE) if "title" in data else "Vote",
        kind=kind,
        group=group,
        revote=revote,
        rule_spec=rule_spec,
        notice=notice,
        opens=window.opens,
        closes=window.closes,
        timezone=window.timezone,
        trustees_n=n,
        trustees_k=k,
        trustee_names=names,
        eligibility=eligibility,
        locals=locals_,
        id=vote_id,
        simulation=simulation,
        warnings=warnings,
        mail_plan=mail_plan,
    )


def _choices(data: dict[str, Any], where: str) -> tuple[str, str, str, Any]:
    """``kind``, ``group``, ``revote`` and ``rule``, each one of its allowed values (or its default)."""
    kind = data.get("kind", "strike-authorization")
    if kind not in KINDS:
        raise DefinitionError(f"{where}: 'kind' must be one of {', '.join(KINDS)}")
    group = data.get("group", "Ed25519")
    if group not in GROUPS:
        raise DefinitionError(f"{where}: 'group' must be one of {', '.join(GROUPS)}")
    revote = data.get("revote", "forbidden")
    if revote not in REVOTE_POLICIES:
        raise DefinitionError(f"{where}: 'revote' must be one of {', '.join(REVOTE_POLICIES)}")
    rule_spec = data.get("rule", "simple-majority")
    try:
        load_rule(rule_spec)
    except RuleError as exc:
        raise DefinitionError(f"{where}: rule: {exc}") from None
    return kind, group, revote, rule_spec


@dataclass(frozen=True)
class _Window:
    opens: datetime
    closes: datetime
    timezone: str
    zone: ZoneInfo


def _window(data: dict[str, Any], where: str) -> _Window:
    """``[window]``: times without an offset are in its ``timezone`` (default UTC); it closes after it opens."""
    window = _req(data, "window", where, dict)
    w = f"{where}: [window]"
    _unknown(window, {"opens", "closes", "timezone"}, w)
    tzname = _text(window, "timezone", w, 64) if "timezone" in window else "UTC"
    try:
        tz = ZoneInfo(tzname)
    except (ZoneInfoNotFoundError, ValueError):
        raise DefinitionError(f"{w} unknown time zone '{tzname}'") from None
    opens = _moment(window, "opens", w, tz)
    closes = _moment(window, "closes", w, tz)
    if closes <= opens:
        raise DefinitionError(f"{w} 'closes' must be after 'opens'")
    return _Window(opens, closes, tzname, tz)


def _trustees(data: dict[str, Any], where: str) -> tuple[int, int, tuple[str, ...]]:
    """``[trustees]``: ``k`` of ``n`` (at most 64), and their names (default "Trustee 1"…)."""
    trustees = _req(data, "trustees", where, dict)
    w = f"{where}: [trustees]"
    _unknown(trustees, {"n", "k", "names"}, w)
    n = _req(trustees, "n", w, int)
    k = _req(trustees, "k", w, int)
    if not 1 <= k <= n <= 64:
        raise DefinitionError(f"{w} need 1 <= k <= n <= 64 (got k={k}, n={n})")
    names = trustees.get("names", [f"Trustee {i}" for i in range(1, n + 1)])
    if not isinstance(names, list) or len(names) != n or not all(isinstance(x, str) and x for x in names):
        raise DefinitionError(f"{w} 'names' must list {n} names")
    if any(len(x) > MAX_TRUSTEE_NAME for x in names):
        raise DefinitionError(f"{w} a name is longer than {MAX_TRUSTEE_NAME} characters")
    return n, k, tuple(names)


def _eligibility(data: dict[str, Any], where: str) -> EligibilityPolicy:
    """``[eligibility]``: the dues cutoff, the grace period, whether an email is needed, good standing."""
    el = _req(data, "eligibility", where, dict)
    w = f"{where}: [eligibility]"
    _unknown(el, {"cutoff", "grace_days", "require_email", "good_standing"}, w)
    cutoff = _req(el, "cutoff", w, date)
    if isinstance(cutoff, datetime):
        raise DefinitionError(f"{w} 'cutoff' must be a date")
    grace = el.get("grace_days", 0)
    if not isinstance(grace, int) or isinstance(grace, bool) or not 0 <= grace <= 366:
        raise DefinitionError(f"{w} 'grace_days' must be an integer in 0..366")
    require_email = el.get("require_email", True)
    if not isinstance(require_email, bool):
        raise DefinitionError(f"{w} 'require_email' must be true or false")
    return EligibilityPolicy(
        cutoff=cutoff,
        grace_days=grace,
        require_email=require_email,
        good_standing_statuses=_good_standing(el, w),
    )


def _locals(data: dict[str, Any], where: str) -> tuple[LocalDef, ...]:
    """``[[locals]]``: at least one, ids unique; each asks the vote's ``question`` unless it has its own."""
    question = (
        _text(data, "question", where, MAX_QUESTION) if "question" in data else "Do you authorize a strike?"
    )
    locals_raw = _req(data, "locals", where, list)
    if not locals_raw:
        raise DefinitionError(f"{where}: at least one [[locals]] entry is needed")
    locs: list[LocalDef] = []
    for i, loc in enumerate(locals_raw, start=1):
        w = f"{where}: [[locals]] #{i}"
        if not isinstance(loc, dict):
            raise DefinitionError(f"{w}: must be a table")
        _unknown(loc, {"id", "name", "delegates", "question"}, w)
        lid = _local_id(loc, w)
        if any(x.id == lid for x in locs):
            raise DefinitionError(f"{w}: duplicate local id '{lid}'")
        delegates = loc.get("delegates", 1)
        if not isinstance(delegates, int) or isinstance(delegates, bool) or delegates < 0:
            raise DefinitionError(f"{w}: 'delegates' must be a non-negative integer")
        q = _text(loc, "question", w, MAX_QUESTION) if "question" in loc else question
        locs.append(LocalDef(lid, _text(loc, "name", w, MAX_LOCAL_NAME), delegates, q))
    return tuple(locs)


def _local_id(loc: dict[str, Any], where: str) -> str:
    lid = loc.get("id")
    if isinstance(lid, int) and not isinstance(lid, bool):
        lid = str(lid)
    if not isinstance(lid, str) or not lid or not all(c.isalnum() or c in "-_" for c in lid):
        raise DefinitionError(f"{where}: 'id' must be letters, digits, '-' or '_'")
    if len(lid) > MAX_LOCAL_ID:
        raise DefinitionError(f"{where}: 'id' is longer than {MAX_LOCAL_ID} characters")
    return lid


def _notice(data: dict[str, Any], where: str, opens: datetime) -> tuple[date | None, tuple[str, ...]]:
    """``notice`` and the warnings of the 15-day notice check (DESIGN.md §5)."""
    notice = data.get("notice")
    if notice is None:
        return None, (f"no notice date: the {MIN_NOTICE_DAYS}-day notice check was not made",)
    if not isinstance(notice, date) or isinstance(notice, datetime):
        raise DefinitionError(f"{where}: 'notice' must be a date")
    if opens.date() - notice < timedelta(days=MIN_NOTICE_DAYS):
        days = (opens.date() - notice).days
        return notice, (f"the vote opens {days} day(s) after notice (less than {MIN_NOTICE_DAYS})",)
    return notice, ()


def _mail_plan(data: dict[str, Any], where: str, window: _Window) -> MailPlan:
    """``[mail]`` and ``[reminders]`` (reminders need mail)."""
    mail = parse_mail(data["mail"], where) if "mail" in data else None
    reminders = (
        parse_reminders(data["reminders"], where, window.zone, window.opens, window.closes)
        if "reminders" in data
        else ()
    )
    if reminders and mail is None:
        raise DefinitionError(f"{where}: [reminders] needs a [mail] block to send them")
    return MailPlan(mail, reminders)


def _vote_id(data: dict[str, Any], where: str) -> str | None:
    vote_id = data.get("id")
    if vote_id is not None and (not isinstance(vote_id, str) or not vote_id.replace("-", "").isalnum()):
        raise DefinitionError(f"{where}: 'id' must be letters, digits and '-'")
    if vote_id is not None and len(vote_id) > MAX_VOTE_ID:
        raise DefinitionError(f"{where}: 'id' is longer than {MAX_VOTE_ID} characters")
    return vote_id


def _good_standing(el: dict[str, Any], where: str) -> frozenset[str]:
    """The ``good_standing`` list: known roll statuses (normalised as the roll importer does), not empty."""
    if "good_standing" not in el:
        return GOOD_STANDING_STATUSES
    raw = el["good_standing"]
    known = ", ".join(sorted(KNOWN_STATUSES))
    if not isinstance(raw, list) or not raw:
        raise DefinitionError(f"{where} 'good_standing' must be a non-empty list of statuses (from: {known})")
    statuses: set[str] = set()
    for item in raw:
        if not isinstance(item, str):
            raise DefinitionError(f"{where} 'good_standing' must list statuses as strings, got {item!r}")
        status = normalize_status(item)
        if status not in KNOWN_STATUSES:
            raise DefinitionError(f"{where} 'good_standing': unknown status {item!r} (known: {known})")
        statuses.add(status)
    return frozenset(statuses)


def _moment(table: dict[str, Any], key: str, where: str, tz: ZoneInfo) -> datetime:
    value = _req(table, key, where, datetime)
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value  # type: ignore[no-any-return]


def definition_digest_json(defn: VoteDefinition) -> str:
    return json.dumps(defn.to_json(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
