"""The vote definition's sections, each read and checked on its own (the file format and what each key means
are in :mod:`strikevote.services.definition`, which assembles them): the choices (kind, group, revote, rule),
the window, the trustees, eligibility, the locals, the notice, mail and reminders, and the field readers and
length limits they share.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from strikevote.crypto.groups import GROUPS
from strikevote.db import models
from strikevote.mail.settings import MailPlan, parse_mail, parse_reminders
from strikevote.records.vote import (
    KINDS,
    REVOTE_POLICIES,
)
from strikevote.roll import GOOD_STANDING_STATUSES, KNOWN_STATUSES, EligibilityPolicy
from strikevote.roll.model import normalize_status
from strikevote.rules import RuleError, load_rule
from strikevote.services.errors import DefinitionError

MIN_NOTICE_DAYS = 15


@dataclass(frozen=True)
class LocalDef:
    id: str
    name: str
    delegates: int
    question: str


def column_length(column: Any) -> int:
    return int(column.type.length)


# The longest values the database holds, checked here so that SQLite (which ignores VARCHAR lengths) and
# PostgreSQL (which refuses longer values) accept exactly the same definitions.
MAX_VOTE_ID = column_length(models.Vote.__table__.c.id)


MAX_UNION = column_length(models.Vote.__table__.c.union_name)


MAX_TITLE = column_length(models.Vote.__table__.c.title)


MAX_LOCAL_ID = column_length(models.Election.__table__.c.local_id)


MAX_TRUSTEE_NAME = column_length(models.Trustee.__table__.c.name)


MAX_LOCAL_NAME = 200


MAX_QUESTION = 2000


def required(table: dict[str, Any], key: str, where: str, typ: type | tuple[type, ...]) -> Any:
    if key not in table:
        raise DefinitionError(f"{where}: missing key '{key}'")
    value = table[key]
    if not isinstance(value, typ) or (isinstance(value, bool) and typ is int):
        name = typ.__name__ if isinstance(typ, type) else " or ".join(t.__name__ for t in typ)
        raise DefinitionError(f"{where}: '{key}' must be a {name}, got {value!r}")
    return value


def text_field(table: dict[str, Any], key: str, where: str, max_len: int) -> str:
    value = required(table, key, where, str).strip()
    if not value:
        raise DefinitionError(f"{where}: '{key}' must not be empty")
    if len(value) > max_len:
        raise DefinitionError(f"{where}: '{key}' is longer than {max_len} characters")
    return str(value)


def refuse_unknown(table: dict[str, Any], allowed: set[str], where: str) -> None:
    for key in table:
        if key not in allowed:
            raise DefinitionError(f"{where}: unknown key '{key}'")


def choices_section(data: dict[str, Any], where: str) -> tuple[str, str, str, Any]:
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
class WindowSection:
    opens: datetime
    closes: datetime
    timezone: str
    zone: ZoneInfo


def window_section(data: dict[str, Any], where: str) -> WindowSection:
    """``[window]``: times without an offset are in its ``timezone`` (default UTC); it closes after it opens."""
    window = required(data, "window", where, dict)
    w = f"{where}: [window]"
    refuse_unknown(window, {"opens", "closes", "timezone"}, w)
    tzname = text_field(window, "timezone", w, 64) if "timezone" in window else "UTC"
    try:
        tz = ZoneInfo(tzname)
    except (ZoneInfoNotFoundError, ValueError):
        raise DefinitionError(f"{w} unknown time zone '{tzname}'") from None
    opens = moment_field(window, "opens", w, tz)
    closes = moment_field(window, "closes", w, tz)
    if closes <= opens:
        raise DefinitionError(f"{w} 'closes' must be after 'opens'")
    return WindowSection(opens, closes, tzname, tz)


def trustees_section(data: dict[str, Any], where: str) -> tuple[int, int, tuple[str, ...]]:
    """``[trustees]``: ``k`` of ``n`` (at most 64), and their names (default "Trustee 1"…)."""
    trustees = required(data, "trustees", where, dict)
    w = f"{where}: [trustees]"
    refuse_unknown(trustees, {"n", "k", "names"}, w)
    n = required(trustees, "n", w, int)
    k = required(trustees, "k", w, int)
    if not 1 <= k <= n <= 64:
        raise DefinitionError(f"{w} need 1 <= k <= n <= 64 (got k={k}, n={n})")
    names = trustees.get("names", [f"Trustee {i}" for i in range(1, n + 1)])
    if not isinstance(names, list) or len(names) != n or not all(isinstance(x, str) and x for x in names):
        raise DefinitionError(f"{w} 'names' must list {n} names")
    if any(len(x) > MAX_TRUSTEE_NAME for x in names):
        raise DefinitionError(f"{w} a name is longer than {MAX_TRUSTEE_NAME} characters")
    return n, k, tuple(names)


def eligibility_section(data: dict[str, Any], where: str) -> EligibilityPolicy:
    """``[eligibility]``: the dues cutoff, the grace period, whether an email is needed, good standing."""
    el = required(data, "eligibility", where, dict)
    w = f"{where}: [eligibility]"
    refuse_unknown(el, {"cutoff", "grace_days", "require_email", "good_standing"}, w)
    cutoff = required(el, "cutoff", w, date)
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
        good_standing_statuses=good_standing_field(el, w),
    )


def locals_section(data: dict[str, Any], where: str) -> tuple[LocalDef, ...]:
    """``[[locals]]``: at least one, ids unique; each asks the vote's ``question`` unless it has its own."""
    question = (
        text_field(data, "question", where, MAX_QUESTION)
        if "question" in data
        else "Do you authorize a strike?"
    )
    locals_raw = required(data, "locals", where, list)
    if not locals_raw:
        raise DefinitionError(f"{where}: at least one [[locals]] entry is needed")
    locs: list[LocalDef] = []
    for i, loc in enumerate(locals_raw, start=1):
        w = f"{where}: [[locals]] #{i}"
        if not isinstance(loc, dict):
            raise DefinitionError(f"{w}: must be a table")
        refuse_unknown(loc, {"id", "name", "delegates", "question"}, w)
        lid = local_id_field(loc, w)
        if any(x.id == lid for x in locs):
            raise DefinitionError(f"{w}: duplicate local id '{lid}'")
        delegates = loc.get("delegates", 1)
        if not isinstance(delegates, int) or isinstance(delegates, bool) or delegates < 0:
            raise DefinitionError(f"{w}: 'delegates' must be a non-negative integer")
        q = text_field(loc, "question", w, MAX_QUESTION) if "question" in loc else question
        locs.append(LocalDef(lid, text_field(loc, "name", w, MAX_LOCAL_NAME), delegates, q))
    return tuple(locs)


def local_id_field(loc: dict[str, Any], where: str) -> str:
    lid = loc.get("id")
    if isinstance(lid, int) and not isinstance(lid, bool):
        lid = str(lid)
    if not isinstance(lid, str) or not lid or not all(c.isalnum() or c in "-_" for c in lid):
        raise DefinitionError(f"{where}: 'id' must be letters, digits, '-' or '_'")
    if len(lid) > MAX_LOCAL_ID:
        raise DefinitionError(f"{where}: 'id' is longer than {MAX_LOCAL_ID} characters")
    return lid


def notice_section(data: dict[str, Any], where: str, opens: datetime) -> tuple[date | None, tuple[str, ...]]:
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


def mail_section(data: dict[str, Any], where: str, window: WindowSection) -> MailPlan:
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


def vote_id_field(data: dict[str, Any], where: str) -> str | None:
    vote_id = data.get("id")
    if vote_id is not None and (not isinstance(vote_id, str) or not vote_id.replace("-", "").isalnum()):
        raise DefinitionError(f"{where}: 'id' must be letters, digits and '-'")
    if vote_id is not None and len(vote_id) > MAX_VOTE_ID:
        raise DefinitionError(f"{where}: 'id' is longer than {MAX_VOTE_ID} characters")
    return vote_id


def good_standing_field(el: dict[str, Any], where: str) -> frozenset[str]:
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


def moment_field(table: dict[str, Any], key: str, where: str, tz: ZoneInfo) -> datetime:
    value = required(table, key, where, datetime)
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value  # type: ignore[no-any-return]
