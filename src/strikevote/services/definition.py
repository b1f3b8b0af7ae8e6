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
from datetime import date, datetime
from pathlib import Path
from typing import Any

from strikevote.mail.settings import MailPlan
from strikevote.records.vote import (
    EligibilityTerms,
    LocalTerms,
    Terms,
    TrusteeTerms,
    Window,
)
from strikevote.roll import EligibilityPolicy
from strikevote.rules import Rule, load_rule
from strikevote.services.definition_sections import (
    MAX_TITLE,
    MAX_UNION,
    LocalDef,
    choices_section,
    eligibility_section,
    locals_section,
    mail_section,
    notice_section,
    refuse_unknown,
    text_field,
    trustees_section,
    vote_id_field,
    window_section,
)
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


MIN_PRIVATE_LOCAL = 10  # fewer eligible members in a local: a warning, its tally may reveal votes


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


def parse_definition(data: dict[str, Any], where: str) -> VoteDefinition:
    """The definition in ``data`` (a TOML document, or vote.json's terms in that shape), checked field by field;
    ``where`` (the file) starts every error."""
    refuse_unknown(data, TOP_KEYS, where)
    kind, group, revote, rule_spec = choices_section(data, where)
    window = window_section(data, where)
    n, k, names = trustees_section(data, where)
    eligibility = eligibility_section(data, where)
    locals_ = locals_section(data, where)
    notice, warnings = notice_section(data, where, window.opens)
    simulation = data.get("simulation", False)
    if not isinstance(simulation, bool):
        raise DefinitionError(f"{where}: 'simulation' must be true or false")
    mail_plan = mail_section(data, where, window)
    vote_id = vote_id_field(data, where)
    return VoteDefinition(
        union=text_field(data, "union", where, MAX_UNION),
        title=text_field(data, "title", where, MAX_TITLE) if "title" in data else "Vote",
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


def definition_digest_json(defn: VoteDefinition) -> str:
    return json.dumps(defn.to_json(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
