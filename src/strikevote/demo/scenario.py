"""Demo scenarios (TOML, DESIGN.md §8): union, question, rule and, per local, the eligible members and how they
vote; ``yes`` + ``no`` members vote, the rest of the eligible abstain.  ``no_email`` and ``in_arrears`` add
members who are on the roll but excluded (they show up in the readiness report)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

from strikevote.rules import RuleError, load_rule
from strikevote.services.errors import DefinitionError

SCENARIOS = ("iatse-2021", "wga-2017")  # built in, under demo/scenarios/
LOCAL_KEYS = {"id", "name", "delegates", "eligible", "yes", "no", "no_email", "in_arrears"}
TOP_KEYS = {"union", "title", "kind", "question", "rule", "locals", "group", "revote", "trustees"}


@dataclass(frozen=True)
class LocalPlan:
    id: str
    name: str
    delegates: int
    eligible: int
    yes: int
    no: int
    no_email: int = 0
    in_arrears: int = 0


@dataclass(frozen=True)
class Scenario:
    union: str
    title: str
    kind: str
    question: str
    rule: Any
    locals: tuple[LocalPlan, ...]

    @property
    def members(self) -> int:
        return sum(x.eligible + x.no_email + x.in_arrears for x in self.locals)

    def scaled(self, members: int) -> Scenario:
        """The same vote with about ``members`` members: every count scaled in proportion."""
        f = members / max(1, self.members)
        locs = []
        for x in self.locals:
            eligible = max(1, round(x.eligible * f))
            yes = min(eligible, round(x.yes * f))
            no = min(eligible - yes, round(x.no * f))
            locs.append(
                replace(
                    x,
                    eligible=eligible,
                    yes=yes,
                    no=no,
                    no_email=round(x.no_email * f),
                    in_arrears=round(x.in_arrears * f),
                )
            )
        return replace(self, locals=tuple(locs))


def load_scenario(path: Path | None = None, name: str | None = None) -> Scenario:
    """The scenario in the TOML file ``path``, else the built-in one called ``name`` (default ``iatse-2021``)."""
    if path is not None:
        try:
            text, where = path.read_text(encoding="utf-8"), str(path)
        except OSError as exc:
            raise DefinitionError(f"{path}: cannot read ({exc.strerror})") from None
        except UnicodeDecodeError as exc:
            raise DefinitionError(f"{path}: not a UTF-8 text file (bad byte at offset {exc.start})") from None
    else:
        name = name or "iatse-2021"
        if name not in SCENARIOS:
            raise DefinitionError(f"unknown demo scenario '{name}' (available: {', '.join(SCENARIOS)})")
        text = (
            resources.files("strikevote.demo").joinpath(f"scenarios/{name}.toml").read_text(encoding="utf-8")
        )
        where = f"scenario {name}"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError(f"{where}: invalid TOML ({exc})") from None
    return parse_scenario(data, where)


def _int(table: dict[str, Any], key: str, where: str, default: int | None = None) -> int:
    if key not in table:
        if default is None:
            raise DefinitionError(f"{where}: missing key '{key}'")
        return default
    v = table[key]
    if not isinstance(v, int) or isinstance(v, bool) or v < 0:
        raise DefinitionError(f"{where}: '{key}' must be a non-negative integer")
    return v


def parse_scenario(data: dict[str, Any], where: str) -> Scenario:
    for key in data:
        if key not in TOP_KEYS:
            raise DefinitionError(f"{where}: unknown key '{key}'")
    for key in ("union", "question"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise DefinitionError(f"{where}: '{key}' must be a non-empty string")
    rule = data.get("rule", "simple-majority")
    try:
        load_rule(rule)
    except RuleError as exc:
        raise DefinitionError(f"{where}: rule: {exc}") from None
    kind = data.get("kind", "strike-authorization")
    if kind not in ("strike-authorization", "ratification"):
        raise DefinitionError(f"{where}: 'kind' must be strike-authorization or ratification")
    raw_locals = data.get("locals")
    if not isinstance(raw_locals, list) or not raw_locals:
        raise DefinitionError(f"{where}: at least one [[locals]] entry is needed")
    locs: list[LocalPlan] = []
    for i, loc in enumerate(raw_locals, start=1):
        w = f"{where}: [[locals]] #{i}"
        if not isinstance(loc, dict):
            raise DefinitionError(f"{w}: must be a table")
        for key in loc:
            if key not in LOCAL_KEYS:
                raise DefinitionError(f"{w}: unknown key '{key}'")
        lid = str(loc.get("id", "")).strip()
        if not lid or any(x.id == lid for x in locs):
            raise DefinitionError(f"{w}: 'id' missing or duplicated")
        eligible, yes, no = _int(loc, "eligible", w), _int(loc, "yes", w), _int(loc, "no", w)
        if yes + no > eligible:
            raise DefinitionError(f"{w}: yes + no ({yes + no}) exceeds eligible ({eligible})")
        locs.append(
            LocalPlan(
                lid,
                str(loc.get("name", f"Local {lid}")),
                _int(loc, "delegates", w, 1),
                eligible,
                yes,
                no,
                _int(loc, "no_email", w, 0),
                _int(loc, "in_arrears", w, 0),
            )
        )
    return Scenario(
        data["union"].strip(),
        str(data.get("title", "Strike authorization vote")),
        kind,
        data["question"].strip(),
        rule,
        tuple(locs),
    )
