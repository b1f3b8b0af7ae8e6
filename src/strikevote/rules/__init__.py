"""Declarative decision rules for union yes/no votes (strike authorization, contract ratification).

A rule is evaluated over verified per-local counts (:class:`LocalCount`) and returns an :class:`Evaluation`:
the outcome, a readable step-by-step trace with the numbers, and — whatever the rule — the popular vote and
the delegate vote, so reports can show both::

    from strikevote.rules import LocalCount, evaluate, load_rule
    rule = load_rule("sag-aftra")                                  # a preset ...
    rule = load_rule({"all": [{"popular": ">= 3/4"}, {"locals_in_favor": "majority"}]})  # ... or inline
    result = evaluate(rule, [LocalCount("600", "Cinematographers", 88, 8500, 3120, 3380), ...])
    result.passed, result.trace, result.to_json()

Presets (:data:`PRESETS`, sources in :mod:`strikevote.rules.presets`): ``simple-majority``, ``sag-aftra``,
``uaw``, ``teamsters``, ``teamsters-pre-2021``, ``uk-tu-act-2016``, ``uk-tu-act-2016-ips``,
``articles-iatse``, ``iatse-constitution``, ``iatse-ratification``.

Rule tables (TOML)
------------------
A rule is a table holding exactly one *block*; blocks nest. In a scenario or vote file::

    [rule]                                   # or: rule = "articles-iatse"
    name = "articles-iatse-like"             # optional (default "inline")
    description = "75% of ballots and a majority of locals"   # optional (default: generated)
    local = ">= 3/4"                         # optional per-local threshold, see below
    all = [
      { popular = ">= 3/4" },
      { locals_in_favor = "majority" },
    ]

    # Teamsters before 2021: under 50% turnout it takes 2/3 "no" to reject, otherwise a majority decides
    [rule]
    if   = { turnout = "< 1/2" }
    then = { not = { popular = ">= 2/3", side = "no" } }
    else = { popular = "> 1/2" }

Blocks (one per table):

``popular = T``            share of yes among all ballots cast, union-wide. Option ``side = "no"`` counts no.
``eligible_share = T``     share of yes among all eligible members (abstentions count against); ``side`` too.
``turnout = T``            ballots over eligible members: a floor (``>= 1/2``) or, in a condition, ``< 1/2``.
``locals_in_favor = N``   locals in favor: ``"majority"`` (more than half of all locals), ``"all"``, a count
                           (``7``: at least 7) or a share of the locals (``">= 2/3"``). Option ``local = T``.
``delegates = T``          delegate-weighted winner-take-all: each local's whole delegate block votes yes when
                           the local is in favor, else no; ``"majority"`` (more than half of all delegate
                           votes) or a threshold. Option ``local = T``.
``all = [ ... ]``          every listed block is met.      ``any = [ ... ]``  at least one is met.
``not = { ... }``          the block is not met.
``if = {..}``, ``then = {..}``, ``else = {..}``   if the condition is met ``then`` decides, else ``else``.
``preset = "name"``        a preset's rule, used as a block (``all = [{preset = "uk-tu-act-2016"}, {...}]``).

Every block accepts ``label = "..."``, used in the trace instead of the default wording. ``name``,
``description``, ``sources`` (list of strings) and ``local`` are allowed in the top-level table only — except
that ``local`` is also an option of ``locals_in_favor`` and ``delegates`` blocks.

Thresholds ``T`` are strings: an operator ``>=``, ``>``, ``<=``, ``<`` (or ``≥``, ``≤``) and a value in
[0, 1] written as a fraction (``2/3``), a percentage (``75%``) or a decimal (``0.4``); ``"majority"`` means
``"> 1/2"``. Values are exact fractions, so ``>= 2/3`` is two-thirds exactly, not 0.6667.

The per-local threshold decides whether a local is in favor. It is the ``local`` of the block, else the
top-level ``local``, else the first ``local`` in the tree, else the rule's popular threshold (the first
``popular`` yes threshold it requires, outside ``not`` blocks and ``if`` conditions), else ``> 1/2``.
The same rule-level threshold sends each local's delegate block to yes or no in the delegate vote every
evaluation reports; the reported popular vote is judged against the popular threshold and the reported
delegate vote against the first ``delegates`` threshold (else ``> 1/2``).

Ties and empty counts: with ``>=`` a share exactly at the value meets it (3 of 4 meets ``>= 3/4``); with ``>``
it does not (2 of 4 fails ``> 1/2``: a tie fails a majority, and a local split evenly is not in favor, its
delegate block going to no). A share with a zero denominator is 0: with no ballots the yes share and the no
share are both 0 (so no lower-bound yes threshold above 0 is met, and a "2/3 no to reject" test is not met
either); with no eligible members turnout is 0; a vote with no locals has no locals in favor.

Unknown keys, misplaced options, missing ``then``/``else``, bad thresholds and unknown presets raise
:class:`RuleError`, whose message starts with the path and key, e.g. ``rule.all[1].popluar: unknown key``.
"""

from .engine import evaluate
from .load import load_rule
from .model import (
    AllOf,
    AnyOf,
    DelegateMajority,
    EligibleShare,
    Evaluation,
    IfThenElse,
    LocalsInFavor,
    Node,
    Not,
    PopularShare,
    PresetRef,
    Rule,
    RuleError,
    Side,
    Turnout,
)
from .presets import PRESETS
from .spec import parse_threshold
from .thresholds import MAJORITY, Comparison, LocalCount, Threshold

__all__ = [
    "MAJORITY",
    "PRESETS",
    "AllOf",
    "AnyOf",
    "Comparison",
    "DelegateMajority",
    "EligibleShare",
    "Evaluation",
    "IfThenElse",
    "LocalCount",
    "LocalsInFavor",
    "Node",
    "Not",
    "PopularShare",
    "PresetRef",
    "Rule",
    "RuleError",
    "Side",
    "Threshold",
    "Turnout",
    "evaluate",
    "load_rule",
    "parse_threshold",
]
