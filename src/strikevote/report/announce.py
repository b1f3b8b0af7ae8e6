"""The result announcement, in the style of press reports of union votes.

"Members of the Writers Guild of America have voted to authorize a strike. 96.3% of the 6,310 members who
cast ballots voted in favor; 67.5% of eligible members voted."

Every figure is computed from the exact integers of the result (one decimal, rounded half up), so the text
agrees with what a verifier recomputes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from strikevote.report.errors import ReportError
from strikevote.report.formatting import KINDS, count, percent

__all__ = ["announcement", "union_phrase"]

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
        raise ReportError(f"{field}.{key}", "missing")
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ReportError(f"{field}.{key}", f"must be a non-negative integer, got {value!r}")
    return value


def _obj(obj: Mapping[str, Any], key: str, field: str = "result") -> Mapping[str, Any]:
    if key not in obj:
        raise ReportError(f"{field}.{key}", "missing")
    value = obj[key]
    if not isinstance(value, Mapping):
        raise ReportError(f"{field}.{key}", "must be an object")
    return value


def _optional_flag(obj: Mapping[str, Any], key: str) -> bool | None:
    value = obj.get(key)
    return value if isinstance(value, bool) else None


def announcement(result: Mapping[str, Any]) -> str:
    """The announcement paragraph for a result dict from :func:`strikevote.report.build_result`.

    Handles passing and failing votes, strike-authorization and ratification wording, the number of locals in
    favour when the rule counts locals, and says in plain words how the rule decided when the delegate vote
    and the members' vote point different ways, or when the outcome differs from the members' majority.
    """
    kind = result.get("kind")
    if kind not in KINDS:
        raise ReportError("result.kind", f"must be one of {', '.join(KINDS)}, got {kind!r}")
    passed = result.get("passed")
    if not isinstance(passed, bool):
        raise ReportError("result.passed", f"must be true or false, got {passed!r}")
    union = result.get("union")
    if not isinstance(union, str) or not union.strip():
        raise ReportError("result.union", "must be a non-empty string")
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
        return f"No ballots were cast by the {count(eligible)} eligible members of {u}; {outcome}."

    # Locals in favour, when the rule counts them.
    locals_part = ""
    in_favour = result.get("locals_in_favour")
    if rule.get("counts_locals") is True and isinstance(in_favour, int) and n_locals:
        noun = "local" if n_locals == 1 else "locals"
        locals_part = f" and {in_favour} of {n_locals} {noun} voted in favor"
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
    tally = f"{count(d_yes)} to {count(d_no)}" if passed else f"{count(d_no)} to {count(d_yes)}"
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
            how = f"by delegate vote, {tally}" if by_delegates else "under the union's rule"
            sentences.append(f"{lead}, but {outcome} {how}.")
            explain_rule = not by_delegates
    else:
        how = f"by delegate vote, {tally}" if by_delegates else "under the union's rule"
        sentences.append(f"Although {yes_pct} of members of {u} voted in favor, {outcome} {how}.")
        voters = "member cast a ballot" if ballots == 1 else "members cast ballots"
        sentences.append(f"In all, {count(ballots)} {voters}{locals_part}; {turnout}")
        explain_rule = not by_delegates
    if delegates_note:
        sentences.append(delegates_note)
    if (explain_rule or votes_differ) and description:
        sentences.append(f"The rule: {description}.")
    return " ".join(_capitalize(s) for s in sentences)
