"""Building the result record (:class:`~strikevote.records.result.ResultRecord`) from the vote record and the
rules engine's :class:`~strikevote.rules.Evaluation` (our own output: nothing to re-validate).  The publisher
(``services/results.py``) and the independent verifier (:mod:`strikevote.verify.result`) call the same
function; the record's codec is in :mod:`strikevote.records.result`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from strikevote.records.announcement import announcement
from strikevote.records.numbers import rounded_share
from strikevote.records.result import (
    DECIDERS,
    DelegateVote,
    LocalResult,
    PopularVote,
    ResultRecord,
    RuleOutcome,
)
from strikevote.records.vote import VoteRecord
from strikevote.rules import Evaluation

__all__ = ["build_result"]


def build_result(vote: VoteRecord, evaluation: Evaluation, closed_at: datetime) -> ResultRecord:
    """The result record of ``vote`` (with its elections) for the rules engine's ``evaluation`` of its locals'
    counts, in the order the result lists them; ``closed_at``: when the ballot box was closed.

    Every local evaluated must have an election in ``vote``: its uuid and fingerprint are the result's."""
    locals_ = tuple(_local_result(vote, entry) for entry in evaluation.per_local)
    yes, no = evaluation.popular["yes"], evaluation.popular["no"]
    eligible = evaluation.popular["eligible"]
    ballots = yes + no
    record = ResultRecord(
        simulation=vote.terms.simulation,
        union=vote.terms.union,
        title=vote.terms.title,
        kind=vote.terms.kind,
        group=vote.terms.group,
        closed_at=closed_at,
        passed=evaluation.passed,
        announcement="",  # below, from the record itself
        rule=RuleOutcome(
            name=evaluation.rule,
            description=evaluation.description,
            trace=tuple(evaluation.trace),
            threshold=evaluation.threshold,
            counts_locals=evaluation.counts_locals,
            uses_delegates=evaluation.uses_delegates,
            decided_by=_decided_by(evaluation),
            spec=vote.terms.rule,
        ),
        popular=PopularVote(
            yes=yes,
            no=no,
            ballots=ballots,
            eligible=eligible,
            yes_share=rounded_share(yes, ballots),
            turnout=rounded_share(ballots, eligible),
            passed=evaluation.popular["passed"],
        ),
        delegates=DelegateVote(
            yes=evaluation.delegates["yes"],
            no=evaluation.delegates["no"],
            total=evaluation.delegates["total"],
            passed=evaluation.delegates["passed"],
        ),
        locals_in_favor=evaluation.locals_in_favor,
        locals=locals_,
    )
    return replace(record, announcement=announcement(record))


def _local_result(vote: VoteRecord, entry: Mapping[str, Any]) -> LocalResult:
    election = vote.election(entry["id"])
    if election is None:
        raise ValueError(f"local {entry['id']!r} was evaluated but has no election in the vote record")
    yes, no, eligible = entry["yes"], entry["no"], entry["eligible"]
    ballots = yes + no
    return LocalResult(
        id=entry["id"],
        name=entry["name"],
        delegates=entry["delegates"],
        eligible=eligible,
        ballots=ballots,
        yes=yes,
        no=no,
        yes_share=rounded_share(yes, ballots),
        turnout=rounded_share(ballots, eligible),
        in_favor=entry["in_favor"],
        delegates_yes=entry["delegates_yes"],
        election_uuid=election.uuid,
        election_fingerprint=election.fingerprint,
    )


def _decided_by(evaluation: Evaluation) -> tuple[str, ...]:
    """The parts of the vote the rule tests (:data:`DECIDERS`), in that order; the members' vote when it tests
    none of them."""
    flags = (evaluation.uses_popular, evaluation.counts_locals, evaluation.uses_delegates)
    return tuple(name for name, on in zip(DECIDERS, flags, strict=True) if on) or ("members",)
