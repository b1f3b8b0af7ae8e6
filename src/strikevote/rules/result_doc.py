"""The ``result.json`` document of a union vote, and its announcement paragraph: pure functions of the
per-local counts, the vote's identity and the rules engine's evaluation (``Evaluation.to_json()``).

Here, in :mod:`strikevote.rules`, so that both the publisher (:mod:`strikevote.report`) and the independent
verifier (:mod:`strikevote.verify`, which imports only crypto, belenios and rules) use one implementation: the
verifier rebuilds the whole document from verified data and compares it with the published one.

Conventions a verifier needs to recompute the figures:

* ``ballots = yes + no`` (abstentions are not ballots);
* ``yes_share = round(yes / ballots, 6)`` and ``turnout = round(ballots / eligible, 6)``, both ``0.0``
  when the denominator is zero; the exact integers are always kept next to them;
* the popular vote is the sum of the locals' counts;
* every percentage in the announcement is computed from the exact integers (one decimal, rounded half up).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final

__all__ = [
    "FORMAT",
    "KINDS",
    "ResultError",
    "announcement",
    "build_result",
    "count",
    "percent",
    "share",
    "union_phrase",
]

FORMAT: Final = "strikevote-result/2"  # 2: "simulation", rule.decided_by; US spelling of in_favor


class ResultError(ValueError):
    """Invalid input to :func:`build_result` or :func:`announcement`: the message starts with the offending
    field, e.g. ``locals[2].yes``."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


# ----------------------------------------------------------------------------------------------- formatting

KINDS: Final = ("strike-authorization", "ratification")


def share(numerator: int, denominator: int) -> float:
    """``numerator / denominator`` rounded to 6 decimals; ``0.0`` when the denominator is zero."""
    if denominator == 0:
        return 0.0
    return round(numerator / denominator, 6)


def percent(numerator: int, denominator: int) -> str:
    """``numerator / denominator`` as a percentage with one decimal, rounded half up from the exact fraction
    (``6077 / 6310`` → ``"96.3%"``); ``"0.0%"`` when the denominator is zero."""
    if denominator <= 0:
        return "0.0%"
    tenths = (2000 * numerator + denominator) // (2 * denominator)
    return f"{tenths // 10:,}.{tenths % 10}%"


def count(n: int) -> str:
    """An integer with thousands separators: ``6310`` → ``"6,310"``."""
    return f"{n:,}"


# --------------------------------------------------------------------------------------------- announcement

# Names made of these words read with "the" in front: "the Writers Guild of America", but "SAG-AFTRA".
_COMMON_NOUNS: Final = frozenset(
    {
        "alliance",
        "association",
        "brotherhood",
        "confederation",
        "congress",
        "council",
        "employees",
        "federation",
        "guild",
        "organization",
        "society",
        "teamsters",
        "union",
        "workers",
    }
)

# What happened, as a clause: (kind, passed) -> clause.
_OUTCOME: Final = {
    ("strike-authorization", True): "the strike was authorized",
    ("strike-authorization", False): "the strike authorization was rejected",
    ("ratification", True): "the tentative agreement was ratified",
    ("ratification", False): "the tentative agreement was rejected",
}

# Headline when the members' majority and the outcome agree.
_MEMBERS_HEADLINE: Final = {
    ("strike-authorization", True): "Members of {u} have voted to authorize a strike.",
    ("strike-authorization", False): "Members of {u} have voted against authorizing a strike.",
    ("ratification", True): "Members of {u} have ratified the tentative agreement.",
    ("ratification", False): "Members of {u} have rejected the tentative agreement.",
}


def union_phrase(union: str) -> str:
    """The union's name as it reads inside a sentence: ``"the Writers Guild of America"``, ``"SAG-AFTRA"``."""
    name = union.strip()
    if name.lower().startswith("the "):
        return "the " + name[4:]
    words = {word.strip(",.()").lower() for word in name.split()}
    return f"the {name}" if words & _COMMON_NOUNS else name


def _capitalize(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


def _int(obj: Mapping[str, Any], key: str, field: str) -> int:
    if key not in obj:
        raise ResultError(f"{field}.{key}", "missing")
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ResultError(f"{field}.{key}", f"must be a non-negative integer, got {value!r}")
    return value


def _obj(obj: Mapping[str, Any], key: str, field: str = "result") -> Mapping[str, Any]:
    if key not in obj:
        raise ResultError(f"{field}.{key}", "missing")
    value = obj[key]
    if not isinstance(value, Mapping):
        raise ResultError(f"{field}.{key}", "must be an object")
    return value


def _optional_flag(obj: Mapping[str, Any], key: str) -> bool | None:
    value = obj.get(key)
    return value if isinstance(value, bool) else None


def announcement(result: Mapping[str, Any]) -> str:
    """The announcement paragraph for a result dict from :func:`build_result`.

    Handles passing and failing votes, strike-authorization and ratification wording, the number of locals in
    favor when the rule counts locals, and says in plain words how the rule decided when the delegate vote
    and the members' vote point different ways, or when the outcome differs from the members' majority.
    """
    kind = result.get("kind")
    if kind not in KINDS:
        raise ResultError("result.kind", f"must be one of {', '.join(KINDS)}, got {kind!r}")
    passed = result.get("passed")
    if not isinstance(passed, bool):
        raise ResultError("result.passed", f"must be true or false, got {passed!r}")
    union = result.get("union")
    if not isinstance(union, str) or not union.strip():
        raise ResultError("result.union", "must be a non-empty string")
    popular = _obj(result, "popular")
    yes = _int(popular, "yes", "result.popular")
    no = _int(popular, "no", "result.popular")
    eligible = _int(popular, "eligible", "result.popular")
    ballots = yes + no
    delegates = _obj(result, "delegates")
    rule = _obj(result, "rule")
    description = str(rule.get("description") or "").strip().rstrip(".")
    locals_ = result.get("locals")
    n_locals = len(locals_) if isinstance(locals_, list) else 0

    u = union_phrase(union)
    outcome = _OUTCOME[(kind, passed)]

    if ballots == 0:
        text = f"No ballots were cast by the {count(eligible)} eligible members of {u}; {outcome}."
        return f"SIMULATION (not a real vote): {text}" if result.get("simulation") is True else text

    # Locals in favor, when the rule counts them.
    locals_part = ""
    in_favor = result.get("locals_in_favor")
    if rule.get("counts_locals") is True and isinstance(in_favor, int) and n_locals:
        noun = "local" if n_locals == 1 else "locals"
        locals_part = f" and {in_favor} of {n_locals} {noun} voted in favor"
    yes_pct = percent(yes, ballots)
    turnout = f"{percent(ballots, eligible)} of eligible members voted."

    # How the rule decided: by the delegate vote, by the members' vote, or by a rule other than a majority.
    popular_passed = _optional_flag(popular, "passed")
    delegate_passed = _optional_flag(delegates, "passed")
    d_yes = _int(delegates, "yes", "result.delegates")
    d_no = _int(delegates, "no", "result.delegates")
    d_total = _int(delegates, "total", "result.delegates")
    delegates_count = d_total > 0 and delegate_passed is not None and rule.get("uses_delegates") is not False
    votes_differ = delegates_count and popular_passed is not None and popular_passed != delegate_passed
    by_delegates = votes_differ and passed == delegate_passed
    n_in_favor = in_favor if isinstance(in_favor, int) else _locals_marked_in_favor(locals_)
    of_locals = f"{n_in_favor} of {n_locals} local{'' if n_locals == 1 else 's'} in favor"
    # "256–188 delegate votes, 8 of 13 locals in favor" (IATSE 2021); the winning side first
    tally = (
        f"{count(d_yes)}–{count(d_no)} delegate votes, {of_locals}"
        if passed
        else f"{count(d_no)}–{count(d_yes)} delegate votes against, {of_locals}"
    )
    # The delegate vote decides and agrees with the members': say so, with its figures.
    delegates_decide = (
        rule.get("uses_delegates") is True and d_total > 0 and delegate_passed == passed and not votes_differ
    )
    # When the delegates went the other way but the members' vote decided.
    delegates_note = (
        f"Delegates voted {count(d_yes)} in favor and {count(d_no)} against, but the delegate vote does not "
        "decide the outcome under this rule."
        if votes_differ and passed == popular_passed
        else ""
    )

    majority_for = yes > no
    sentences: list[str] = []
    explain_rule = False  # end with the rule in plain words
    if passed == majority_for:
        sentences.append(_MEMBERS_HEADLINE[(kind, passed)].format(u=u))
        voters = "member who cast a ballot" if ballots == 1 else "members who cast ballots"
        sentences.append(f"{yes_pct} of the {count(ballots)} {voters} voted in favor{locals_part}; {turnout}")
        if popular_passed is not None and popular_passed != passed:
            lead = (
                "The members' vote alone fell short"
                if passed
                else "The members' vote alone would have carried it"
            )
            how = f"by {tally}" if by_delegates else "under the union's rule"
            sentences.append(f"{lead}, but {outcome} {how}.")
            explain_rule = not by_delegates
    else:
        how = f"by {tally}" if by_delegates else "under the union's rule"
        sentences.append(f"Although {yes_pct} of members of {u} voted in favor, {outcome} {how}.")
        voters = "member cast a ballot" if ballots == 1 else "members cast ballots"
        sentences.append(f"In all, {count(ballots)} {voters}{locals_part}; {turnout}")
        explain_rule = not by_delegates
    if delegates_decide:
        only_delegates = rule.get("decided_by") == ["delegates"]
        lead = "Under the union's rule the delegate vote decides" if only_delegates else "The delegate vote"
        sentences.append(f"{lead}: {tally}.")
    if delegates_note:
        sentences.append(delegates_note)
    if (explain_rule or votes_differ) and description:
        sentences.append(f"The rule: {description}.")
    text = " ".join(_capitalize(s) for s in sentences)
    return f"SIMULATION (not a real vote): {text}" if result.get("simulation") is True else text


def _locals_marked_in_favor(locals_: Any) -> int:
    if not isinstance(locals_, list):
        return 0
    return sum(1 for local in locals_ if isinstance(local, Mapping) and local.get("in_favor") is True)


# --------------------------------------------------------------------------------------------------- result

_LOCAL_KEYS: Final = (
    "id",
    "name",
    "delegates",
    "eligible",
    "yes",
    "no",
    "election_uuid",
    "election_fingerprint",
)


# --------------------------------------------------------------------------------------------------- checks


def _get(obj: Mapping[str, Any], key: str, field: str) -> Any:
    if key not in obj:
        raise ResultError(f"{field}.{key}" if field else key, "missing")
    return obj[key]


def _mapping(value: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ResultError(field, f"must be an object, got {type(value).__name__}")
    return value


def _count(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ResultError(field, f"must be an integer, got {value!r}")
    if value < 0:
        raise ResultError(field, f"must not be negative, got {value}")
    return value


def _text(value: Any, field: str, *, empty: bool = False) -> str:
    if not isinstance(value, str):
        raise ResultError(field, f"must be a string, got {type(value).__name__}")
    if not empty and not value.strip():
        raise ResultError(field, "must not be empty")
    return value


def _flag(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise ResultError(field, f"must be true or false, got {value!r}")
    return value


def _local_id(value: Any, field: str) -> str | int:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ResultError(field, f"must be a string or an integer, got {value!r}")
    if isinstance(value, str) and not value.strip():
        raise ResultError(field, "must not be empty")
    return value


def _threshold(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ResultError(field, f"must be a number, got {value!r}")
    if not 0.0 <= value <= 1.0:
        raise ResultError(field, f"must be a share between 0 and 1, got {value!r}")
    return float(value)


def _sequence(value: Any, field: str) -> Sequence[Any]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise ResultError(field, f"must be a list, got {type(value).__name__}")
    return value


def _timestamp(value: Any, field: str) -> str:
    text = _text(value, field)
    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise ResultError(field, f"must be an ISO 8601 date and time, got {text!r}") from None
    return text


# --------------------------------------------------------------------------------------------------- build


def _check_local(raw: Any, field: str) -> dict[str, Any]:
    local = _mapping(raw, field)
    for key in _LOCAL_KEYS:
        _get(local, key, field)
    yes = _count(local["yes"], f"{field}.yes")
    no = _count(local["no"], f"{field}.no")
    eligible = _count(local["eligible"], f"{field}.eligible")
    if yes + no > eligible:
        raise ResultError(
            f"{field}.eligible", f"yes + no = {yes + no} exceeds the {eligible} eligible members"
        )
    ballots = yes + no
    return {
        "id": _local_id(local["id"], f"{field}.id"),
        "name": _text(local["name"], f"{field}.name"),
        "delegates": _count(local["delegates"], f"{field}.delegates"),
        "eligible": eligible,
        "ballots": ballots,
        "yes": yes,
        "no": no,
        "yes_share": share(yes, ballots),
        "turnout": share(ballots, eligible),
        "in_favor": False,  # from the evaluation, below
        "delegates_yes": 0,  # from the evaluation, below
        "election_uuid": _text(local["election_uuid"], f"{field}.election_uuid"),
        "election_fingerprint": _text(local["election_fingerprint"], f"{field}.election_fingerprint"),
    }


DECIDERS: Final = ("members", "locals", "delegates")
"""What a rule tests, in ``rule.decided_by``: the members' vote (a share of ballots or of the eligible, or
turnout), the count of locals in favor, the delegate vote."""


def _decided_by(evaluation: Mapping[str, Any], counts_locals: bool, uses_delegates: bool) -> list[str]:
    """The parts of the vote the rule tests (:data:`DECIDERS`), in that order; the members' vote when the
    evaluation does not say (``uses_popular``) and the rule tests neither locals nor delegates."""
    popular = evaluation.get("uses_popular")
    if popular is not None:
        popular = _flag(popular, "evaluation.uses_popular")
    else:
        popular = not (counts_locals or uses_delegates)
    flags = (popular, counts_locals, uses_delegates)
    return [name for name, on in zip(DECIDERS, flags, strict=True) if on] or ["members"]


def _counts_locals(evaluation: Mapping[str, Any], description: str) -> bool:
    """Whether the rule counts locals in favor: the evaluation's ``counts_locals`` flag if it has one,
    else whether its description speaks of locals."""
    if "counts_locals" in evaluation:
        return _flag(evaluation["counts_locals"], "evaluation.counts_locals")
    if evaluation.get("locals_in_favor") is None:
        return False
    words = description.lower().replace(",", " ").replace(".", " ").split()
    return "locals" in words


def build_result(
    *,
    union: str,
    vote_title: str,
    kind: str,
    locals_: Sequence[Mapping[str, Any]],
    evaluation: Mapping[str, Any],
    closed_at: str,
    group: str,
    rule_spec: Any = None,
    simulation: Any = False,
) -> dict[str, Any]:
    """Return the ``result.json`` dict of a vote; raise :class:`ResultError` naming the field on bad input.

    ``simulation``: whether the vote is a simulation (``strikevote demo``; vote.json's ``simulation``), kept as
    ``result["simulation"]`` and announced as one.

    ``rule_spec``: the rule as the vote definition gives it (a preset name or an inline table), kept as
    ``result["rule"]["spec"]`` when given.

    ``locals_``: one mapping per local with ``id, name, delegates, eligible, yes, no, election_uuid,
    election_fingerprint``. ``evaluation``: ``strikevote.rules.Evaluation.to_json()``; its counts must agree
    with the locals' (the popular vote is their sum). Optional evaluation keys kept in ``result["rule"]``:
    ``threshold`` or ``local_threshold`` (the yes share the rule asks of a local, a float, drawn on the chart;
    absent or ``None`` when the rule has no single such threshold), ``counts_locals`` and ``uses_delegates``
    (bools; they shape the announcement).
    """
    union = _text(union, "union")
    vote_title = _text(vote_title, "vote_title")
    if kind not in KINDS:
        raise ResultError("kind", f"must be one of {', '.join(KINDS)}, got {kind!r}")
    closed_at = _timestamp(closed_at, "closed_at")
    group = _text(group, "group")
    simulation = _flag(simulation, "simulation")

    locals_list = [_check_local(raw, f"locals[{i}]") for i, raw in enumerate(_sequence(locals_, "locals"))]
    if not locals_list:
        raise ResultError("locals", "must list at least one local")
    by_id: dict[str, dict[str, Any]] = {}
    for i, local in enumerate(locals_list):
        key = str(local["id"])
        if key in by_id:
            raise ResultError(f"locals[{i}].id", f"duplicate local id {local['id']!r}")
        by_id[key] = local

    ev = _mapping(evaluation, "evaluation")
    for key in (
        "rule",
        "description",
        "passed",
        "trace",
        "popular",
        "delegates",
        "locals_in_favor",
        "per_local",
    ):
        _get(ev, key, "evaluation")
    rule_name = _text(ev["rule"], "evaluation.rule")
    description = _text(ev["description"], "evaluation.description", empty=True)
    passed = _flag(ev["passed"], "evaluation.passed")
    trace = [
        _text(line, f"evaluation.trace[{i}]", empty=True)
        for i, line in enumerate(_sequence(ev["trace"], "evaluation.trace"))
    ]

    # Popular vote: recomputed from the locals, and the evaluation must agree.
    yes = sum(local["yes"] for local in locals_list)
    no = sum(local["no"] for local in locals_list)
    eligible = sum(local["eligible"] for local in locals_list)
    ballots = yes + no
    ev_popular = _mapping(ev["popular"], "evaluation.popular")
    for key, total in (("yes", yes), ("no", no), ("ballots", ballots), ("eligible", eligible)):
        if key not in ev_popular and key in ("ballots", "eligible"):
            continue
        field = f"evaluation.popular.{key}"
        value = _count(_get(ev_popular, key, "evaluation.popular"), field)
        if value != total:
            raise ResultError(field, f"{value} does not match the locals' total of {total}")
    popular_passed = _flag(_get(ev_popular, "passed", "evaluation.popular"), "evaluation.popular.passed")

    # Per-local outcome of the rule.
    seen: set[str] = set()
    for i, raw in enumerate(_sequence(ev["per_local"], "evaluation.per_local")):
        field = f"evaluation.per_local[{i}]"
        entry = _mapping(raw, field)
        key = str(_local_id(_get(entry, "id", field), f"{field}.id"))
        if key not in by_id:
            raise ResultError(f"{field}.id", f"unknown local {entry['id']!r}")
        if key in seen:
            raise ResultError(f"{field}.id", f"local {entry['id']!r} listed twice")
        seen.add(key)
        local = by_id[key]
        for count_key in ("yes", "no", "eligible", "delegates"):  # echoed by the rules engine: must agree
            if count_key in entry and entry[count_key] != local[count_key]:
                raise ResultError(
                    f"{field}.{count_key}",
                    f"{entry[count_key]!r} does not match the local's {local[count_key]}",
                )
        local["in_favor"] = _flag(_get(entry, "in_favor", field), f"{field}.in_favor")
        delegates_yes = _count(_get(entry, "delegates_yes", field), f"{field}.delegates_yes")
        if delegates_yes > local["delegates"]:
            raise ResultError(
                f"{field}.delegates_yes",
                f"{delegates_yes} exceeds the local's {local['delegates']} delegates",
            )
        local["delegates_yes"] = delegates_yes
    missing = [str(local["id"]) for local in locals_list if str(local["id"]) not in seen]
    if missing:
        raise ResultError("evaluation.per_local", f"no entry for local(s) {', '.join(missing)}")

    in_favor_count = sum(1 for local in locals_list if local["in_favor"])
    locals_in_favor: int | None = None
    if ev["locals_in_favor"] is not None:
        locals_in_favor = _count(ev["locals_in_favor"], "evaluation.locals_in_favor")
        if locals_in_favor != in_favor_count:
            raise ResultError(
                "evaluation.locals_in_favor",
                f"{locals_in_favor} does not match the {in_favor_count} locals marked in favor",
            )

    ev_delegates = _mapping(ev["delegates"], "evaluation.delegates")
    d_yes = _count(_get(ev_delegates, "yes", "evaluation.delegates"), "evaluation.delegates.yes")
    d_no = _count(_get(ev_delegates, "no", "evaluation.delegates"), "evaluation.delegates.no")
    d_total = _count(_get(ev_delegates, "total", "evaluation.delegates"), "evaluation.delegates.total")
    d_passed = _flag(_get(ev_delegates, "passed", "evaluation.delegates"), "evaluation.delegates.passed")
    if d_yes + d_no > d_total:
        raise ResultError(
            "evaluation.delegates.total", f"yes + no = {d_yes + d_no} exceeds the total {d_total}"
        )
    per_local_yes = sum(local["delegates_yes"] for local in locals_list)
    if d_yes != per_local_yes:
        raise ResultError(
            "evaluation.delegates.yes",
            f"{d_yes} does not match the locals' delegate yes votes ({per_local_yes})",
        )

    rule: dict[str, Any] = {"name": rule_name, "description": description, "trace": trace}
    for key in ("threshold", "local_threshold"):  # the per-local yes share the rule asks for
        if ev.get(key) is not None:
            rule["threshold"] = _threshold(ev[key], f"evaluation.{key}")
            break
    rule["counts_locals"] = _counts_locals(ev, description)
    if ev.get("uses_delegates") is not None:
        rule["uses_delegates"] = _flag(ev["uses_delegates"], "evaluation.uses_delegates")
    rule["decided_by"] = _decided_by(ev, rule["counts_locals"], rule.get("uses_delegates") is True)
    if rule_spec is not None:
        rule["spec"] = rule_spec

    result: dict[str, Any] = {
        "format": FORMAT,
        "simulation": simulation,
        "union": union,
        "title": vote_title,
        "kind": kind,
        "group": group,
        "closed_at": closed_at,
        "passed": passed,
        "announcement": "",
        "rule": rule,
        "popular": {
            "yes": yes,
            "no": no,
            "ballots": ballots,
            "eligible": eligible,
            "yes_share": share(yes, ballots),
            "turnout": share(ballots, eligible),
            "passed": popular_passed,
        },
        "delegates": {"yes": d_yes, "no": d_no, "total": d_total, "passed": d_passed},
        "locals_in_favor": locals_in_favor,
        "locals": locals_list,
    }
    result["announcement"] = announcement(result)
    return result


# --- vote.json's commitment ---------------------------------------------------------------------------------------

VOTE_FORMAT: Final = "strikevote-vote/1"


def vote_commitment(vote: Mapping[str, Any]) -> str:
    """Base64Compact(SHA-256) of vote.json's canonical JSON without its ``elections`` list.

    Each local's election description carries it (services/trustees.py), so the rule, the locals' delegates,
    the window, the roll digest and the trustees are fixed when the elections are set up, under the election
    fingerprints that members see, and a vote.json rewritten afterwards no longer matches its archives.
    """
    import json

    from strikevote.crypto.hashing import sha256_b64

    header = {k: v for k, v in vote.items() if k != "elections"}
    return sha256_b64(json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=False))


def election_description(union: str, title: str, local_id: str, commitment: str) -> str:
    """The description of one local's Belenios election."""
    return f"{union}: {title} (local {local_id}); vote {commitment}"
