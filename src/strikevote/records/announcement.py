"""The announcement: the result in the sentences the press prints, e.g. "Members of the Writers Guild of America
have voted to authorize a strike. 96.3% of the 6,310 members who cast ballots voted in favor; 67.5% of eligible
members voted." A pure function of the result record, stored in it (``announcement``) and shown on the
certificate; percentages are :func:`~strikevote.records.numbers.percent_one_decimal` of the exact integers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from strikevote.records.numbers import percent_one_decimal, thousands

if TYPE_CHECKING:
    from strikevote.records.result import ResultRecord

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

_SIMULATION: Final = "SIMULATION (not a real vote): "


def union_phrase(union: str) -> str:
    """The union's name as it reads inside a sentence: ``"the Writers Guild of America"``, ``"SAG-AFTRA"``."""
    name = union.strip()
    if name.lower().startswith("the "):
        return "the " + name[4:]
    words = {word.strip(",.()").lower() for word in name.split()}
    return f"the {name}" if words & _COMMON_NOUNS else name


def _capitalize(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def announcement(result: ResultRecord) -> str:
    """The announcement paragraph of ``result``.

    Passing and failing votes, strike-authorization and ratification wording; the number of locals in favor
    when the rule counts locals; under a delegate rule the delegate vote and the locals ("256–188 delegate
    votes, 8 of 13 locals in favor", IATSE 2021); and, in plain words, how the rule decided when the delegate
    vote and the members' vote point different ways, or when the outcome differs from the members' majority.
    """
    text = _paragraph(result)
    return _SIMULATION + text if result.simulation else text


def _paragraph(result: ResultRecord) -> str:
    kind, passed = result.kind, result.passed
    popular, delegates, rule = result.popular, result.delegates, result.rule
    yes, no, eligible = popular.yes, popular.no, popular.eligible
    ballots = yes + no
    u = union_phrase(result.union)
    outcome = _OUTCOME[(kind, passed)]
    if ballots == 0:
        return f"No ballots were cast by the {thousands(eligible)} eligible members of {u}; {outcome}."

    n_locals = len(result.locals)
    in_favor = result.locals_in_favor
    locals_part = ""  # locals in favor, when the rule counts them
    if rule.counts_locals and n_locals:
        locals_part = f" and {in_favor} of {n_locals} {_plural(n_locals, 'local', 'locals')} voted in favor"
    yes_pct = percent_one_decimal(yes, ballots)
    turnout = f"{percent_one_decimal(ballots, eligible)} of eligible members voted."

    # How the rule decided: by the delegate vote, by the members' vote, or by a rule other than a majority.
    delegates_count = delegates.total > 0 and rule.uses_delegates
    votes_differ = delegates_count and popular.passed != delegates.passed
    by_delegates = votes_differ and passed == delegates.passed
    of_locals = f"{in_favor} of {n_locals} local{_plural(n_locals, '', 's')} in favor"
    # "256–188 delegate votes, 8 of 13 locals in favor" (IATSE 2021); the winning side first
    tally = (
        f"{thousands(delegates.yes)}–{thousands(delegates.no)} delegate votes, {of_locals}"
        if passed
        else f"{thousands(delegates.no)}–{thousands(delegates.yes)} delegate votes against, {of_locals}"
    )
    # The delegate vote decides and agrees with the members': say so, with its figures.
    delegates_decide = delegates_count and delegates.passed == passed and not votes_differ

    sentences: list[str] = []
    explain_rule = False  # end with the rule in plain words
    how = f"by {tally}" if by_delegates else "under the union's rule"
    if passed == (yes > no):
        sentences.append(_MEMBERS_HEADLINE[(kind, passed)].format(u=u))
        voters = _plural(ballots, "member who cast a ballot", "members who cast ballots")
        sentences.append(
            f"{yes_pct} of the {thousands(ballots)} {voters} voted in favor{locals_part}; {turnout}"
        )
        if popular.passed != passed:
            lead = (
                "The members' vote alone fell short"
                if passed
                else "The members' vote alone would have carried it"
            )
            sentences.append(f"{lead}, but {outcome} {how}.")
            explain_rule = not by_delegates
    else:
        sentences.append(f"Although {yes_pct} of members of {u} voted in favor, {outcome} {how}.")
        voters = _plural(ballots, "member cast a ballot", "members cast ballots")
        sentences.append(f"In all, {thousands(ballots)} {voters}{locals_part}; {turnout}")
        explain_rule = not by_delegates
    if delegates_decide:
        only_delegates = rule.decided_by == ("delegates",)
        lead = "Under the union's rule the delegate vote decides" if only_delegates else "The delegate vote"
        sentences.append(f"{lead}: {tally}.")
    if votes_differ and passed == popular.passed:  # the delegates went the other way, the members decided
        sentences.append(
            f"Delegates voted {thousands(delegates.yes)} in favor and {thousands(delegates.no)} against, but "
            "the delegate vote does not decide the outcome under this rule."
        )
    description = rule.description.strip().rstrip(".")
    if (explain_rule or votes_differ) and description:
        sentences.append(f"The rule: {description}.")
    return " ".join(_capitalize(s) for s in sentences)
