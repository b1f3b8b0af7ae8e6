"""Records for the tests: a vote record for given per-local counts, and its result through the real path
(rules engine → :func:`strikevote.records.result.build_result`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from strikevote.records.result import ResultRecord
from strikevote.records.result_build import build_result
from strikevote.records.vote import (
    ElectionEntry,
    EligibilityTerms,
    Exclusions,
    LocalTerms,
    RuleSpec,
    Terms,
    TrusteeTerms,
    VoteRecord,
    Window,
)
from strikevote.rules import LocalCount, evaluate, load_rule

EDT = timezone(timedelta(hours=-4))
OPENS = datetime(2021, 10, 1, 9, 0, tzinfo=EDT)
CLOSES = datetime(2021, 10, 3, 23, 59, tzinfo=EDT)
CLOSED_AT = datetime(2021, 10, 3, 20, 0, tzinfo=UTC)
QUESTION = "Do you authorize a strike?"


def vote_record(
    counts: Sequence[LocalCount],
    *,
    rule: RuleSpec = "simple-majority",
    union: str = "Writers Guild of America",
    title: str = "Strike authorization vote",
    kind: str = "strike-authorization",
    simulation: bool = False,
    notice: date | None = date(2021, 9, 15),
    excluded: Exclusions | None = Exclusions(3, (1, 2, 1)),
    **terms: Any,
) -> VoteRecord:
    """A vote of the locals of ``counts`` (each asked :data:`QUESTION`), its elections named after them;
    ``terms``: any other field of :class:`Terms` to replace."""
    base = Terms(
        union=union,
        title=title,
        kind=kind,
        group="Ed25519",
        revote="forbidden",
        rule=rule,
        notice=notice,
        window=Window(OPENS, CLOSES, "America/New_York"),
        trustees=TrusteeTerms(3, 2, ("Ana", "Ben", "Cleo")),
        eligibility=EligibilityTerms(date(2021, 9, 30), 0, True, ("active", "good-standing")),
        locals=tuple(LocalTerms(c.id, c.name, c.delegates, QUESTION) for c in counts),
        simulation=simulation,
    )
    return VoteRecord(
        id="v1",
        terms=replace(base, **terms),
        roll_digest="0" * 64,
        trustees_fingerprint="trustees-fp",
        elections=tuple(
            ElectionEntry(c.id, f"uuid-{c.id}", f"fp-{c.id}", c.eligible, f"cfp-{c.id}", excluded)
            for c in counts
        ),
    )


def result_of(
    counts: Sequence[LocalCount],
    rule: RuleSpec = "simple-majority",
    *,
    closed_at: datetime = CLOSED_AT,
    **vote: Any,
) -> ResultRecord:
    """The result record of :func:`vote_record` ``(counts, rule=rule, **vote)`` for those counts."""
    record = vote_record(counts, rule=rule, **vote)
    return build_result(record, evaluate(load_rule(rule), counts), closed_at)
