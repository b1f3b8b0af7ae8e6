"""Evaluating a :class:`Rule` over verified per-local counts, with a step-by-step trace.

Every condition is decided with exact fractions. Every block of the tree is evaluated and traced
(``all``/``any`` do not short-circuit, so the trace shows every figure); an ``if`` block traces its
condition and the branch it takes. Whatever the rule, the evaluation also reports the popular vote and
the delegate vote (each local's whole delegate block to yes when the local's yes share meets the rule's
per-local threshold).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, assert_never

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
    Side,
    Turnout,
)
from .spec import ALL_LOCALS, walk
from .thresholds import MAJORITY, LocalCount, Threshold, percent, share

__all__ = ["chart_threshold", "evaluate"]

_INDENT = "  "
_MAX_NAMED_LOCALS = 40


@dataclass(frozen=True)
class _Tally:
    locals: tuple[LocalCount, ...]
    yes: int
    no: int
    eligible: int

    @property
    def ballots(self) -> int:
        return self.yes + self.no

    def in_favor(self, local: Threshold) -> list[LocalCount]:
        return [lc for lc in self.locals if local.holds(lc.yes_share)]

    def delegate_votes(self, local: Threshold) -> tuple[int, int]:
        """(yes, total) delegate votes, winner-take-all per local."""
        yes = sum(lc.delegates for lc in self.in_favor(local))
        return yes, sum(lc.delegates for lc in self.locals)


def _met(ok: bool) -> str:
    return "met" if ok else "not met"


def _label(lc: LocalCount) -> str:
    return f"{lc.id} {lc.name}" if lc.name and lc.name != lc.id else lc.id


def _needed(threshold: Threshold, total: int, unit: str) -> str:
    least = threshold.least_count(total)
    return "" if least is None else f" ({least:,} {unit} needed)"


def _share_line(
    title: str, part: int, what: str, whole: int, of: str, threshold: Threshold, needed: str = ""
) -> tuple[bool, str]:
    value = share(part, whole)
    ok = threshold.holds(value)
    empty = f" (no {of})" if whole == 0 else ""
    return (
        ok,
        f"{title}: {part:,} {what} of {whole:,} {of} = {percent(value)}{empty} "
        f"{threshold} required{needed}: {_met(ok)}",
    )


def _eval(node: Node, rule: Rule, tally: _Tally, depth: int) -> tuple[bool, list[str]]:
    pad = _INDENT * depth
    if isinstance(node, PopularShare):
        if node.side is Side.YES:
            ok, line = _share_line(
                node.label or "Popular vote", tally.yes, "yes", tally.ballots, "ballots", node.threshold
            )
        else:
            ok, line = _share_line(
                node.label or "Popular vote against", tally.no, "no", tally.ballots, "ballots", node.threshold
            )
        return ok, [pad + line]
    if isinstance(node, EligibleShare):
        part, what = (tally.yes, "yes") if node.side is Side.YES else (tally.no, "no")
        title = node.label or f"{what.capitalize()} among all eligible members"
        ok, line = _share_line(title, part, what, tally.eligible, "eligible", node.threshold)
        return ok, [pad + line]
    if isinstance(node, Turnout):
        ok, line = _share_line(
            node.label or "Turnout", tally.ballots, "ballots", tally.eligible, "eligible", node.threshold
        )
        return ok, [pad + line]
    if isinstance(node, LocalsInFavor):
        return _eval_locals(node, rule, tally, pad)
    if isinstance(node, DelegateMajority):
        local = node.local or rule.local
        yes, total = tally.delegate_votes(local)
        title = node.label or "Delegate vote"
        ok, line = _share_line(
            f"{title} (winner-take-all by local; a local's block goes to yes when its yes share is {local})",
            yes,
            "yes",
            total,
            "delegate votes",
            node.threshold,
            _needed(node.threshold, total, "yes delegate votes"),
        )
        return ok, [pad + line]
    if isinstance(node, AllOf | AnyOf):
        lines = [
            pad
            + (
                node.label
                or (
                    "All of these must be met"
                    if isinstance(node, AllOf)
                    else "At least one of these must be met"
                )
            )
            + ":"
        ]
        results = []
        for child in node.conditions:
            ok, child_lines = _eval(child, rule, tally, depth + 1)
            results.append(ok)
            lines.extend(child_lines)
        ok = all(results) if isinstance(node, AllOf) else any(results)
        lines.append(f"{pad}→ {sum(results)} of {len(results)} met: {_met(ok)}")
        return ok, lines
    if isinstance(node, Not):
        inner, child_lines = _eval(node.condition, rule, tally, depth + 1)
        footer = f"{pad}→ it is {'met' if inner else 'not met'}, so this is {_met(not inner)}"
        return not inner, [pad + (node.label or "This must NOT be met") + ":", *child_lines, footer]
    if isinstance(node, IfThenElse):
        cond, cond_lines = _eval(node.condition, rule, tally, depth + 1)
        branch = node.then if cond else node.otherwise
        ok, branch_lines = _eval(branch, rule, tally, depth + 1)
        chosen = "Condition met, so this applies:" if cond else "Condition not met, so this applies instead:"
        return ok, [
            pad + (node.label or "Conditional rule") + ": if",
            *cond_lines,
            pad + chosen,
            *branch_lines,
            f"{pad}→ {_met(ok)}",
        ]
    if isinstance(node, PresetRef):
        ok, child_lines = _eval(node.node, rule, tally, depth + 1)
        return ok, [pad + (node.label or f"Preset {node.name}") + ":", *child_lines, f"{pad}→ {_met(ok)}"]
    assert_never(node)


def _eval_locals(node: LocalsInFavor, rule: Rule, tally: _Tally, pad: str) -> tuple[bool, list[str]]:
    local = node.local or rule.local
    favor = tally.in_favor(local)
    count, total = len(favor), len(tally.locals)
    title = node.label or f"Locals in favor (yes share {local})"
    named = f" [{', '.join(lc.id for lc in favor)}]" if 0 < count and total <= _MAX_NAMED_LOCALS else ""
    if isinstance(node.need, int):
        ok = count >= node.need
        need = f"at least {node.need:,} needed"
    else:
        ok = node.need.holds(share(count, total))
        least = node.need.least_count(total)
        if node.need == MAJORITY:
            need = f"a majority ({least:,}) needed"
        elif node.need == ALL_LOCALS:
            need = f"all {total:,} needed"
        else:
            need = f"{percent(share(count, total))} {node.need} required ({least:,} needed)"
    return ok, [f"{pad}{title}: {count:,} of {total:,} locals{named}; {need}: {_met(ok)}"]


def _per_local(rule: Rule, lc: LocalCount) -> tuple[dict[str, Any], str]:
    in_favor = rule.local.holds(lc.yes_share)
    entry: dict[str, Any] = {
        "id": lc.id,
        "name": lc.name,
        "delegates": lc.delegates,
        "eligible": lc.eligible,
        "yes": lc.yes,
        "no": lc.no,
        "ballots": lc.ballots,
        "yes_share": float(lc.yes_share),
        "turnout": float(lc.turnout),
        "in_favor": in_favor,
        "delegates_yes": lc.delegates if in_favor else 0,
    }
    verdict = "in favor" if in_favor else "not in favor"
    plural = "s" if lc.delegates != 1 else ""
    block = f" → {lc.delegates:,} delegate vote{plural} {'yes' if in_favor else 'no'}" if lc.delegates else ""
    line = (
        f"{_INDENT}{_label(lc)}: {lc.yes:,} yes of {lc.ballots:,} ballots = {percent(lc.yes_share)} "
        f"{rule.local} required{_needed(rule.local, lc.ballots, 'yes')}: {verdict}{block} "
        f"(turnout {percent(lc.turnout)} of {lc.eligible:,} eligible)"
    )
    return entry, line


def chart_threshold(rule: Rule) -> Threshold | None:
    """The one yes-share threshold a local's bar is measured against on the yes-share chart, or ``None``.

    A rule that counts locals or delegates: the per-local threshold of its locals/delegates blocks, when they
    all use the rule's per-local threshold. Otherwise the popular threshold: the yes-share-of-ballots lower
    bound the rule requires, when it requires exactly one and that is also the rule's per-local threshold (so
    the line agrees with which locals are marked in favor). ``None`` when there is no such single
    threshold: a popular share inside a ``not`` block or an ``if`` condition, on the "no" side or as an upper
    bound (Teamsters before 2021: two thirds against to reject under 50% turnout), several different ones, or
    none at all (only turnout or shares of the eligible members)."""
    nodes = list(walk(rule.root, guards=True))
    blocks = [n for n in nodes if isinstance(n, LocalsInFavor | DelegateMajority)]
    if blocks:
        found = {n.local or rule.local for n in blocks}
    else:
        guarded = [n for n in nodes if isinstance(n, PopularShare)]
        required = [n for n in walk(rule.root, guards=False) if isinstance(n, PopularShare)]
        if len(guarded) != len(required) or any(
            n.side is not Side.YES or not n.threshold.op.is_lower_bound for n in required
        ):
            return None
        found = {n.threshold for n in required}
    return rule.local if found == {rule.local} else None


def evaluate(rule: Rule, locals_: Sequence[LocalCount]) -> Evaluation:
    """Apply ``rule`` to the per-local counts ``locals_`` (in report order; ids must be unique)."""
    locs = tuple(locals_)
    seen: set[str] = set()
    for lc in locs:
        if not isinstance(lc, LocalCount):
            raise TypeError(f"expected LocalCount values, got {type(lc).__name__}")
        if lc.id in seen:
            raise ValueError(f"duplicate local id {lc.id!r}")
        seen.add(lc.id)
    tally = _Tally(
        locs, sum(lc.yes for lc in locs), sum(lc.no for lc in locs), sum(lc.eligible for lc in locs)
    )

    trace = [f"Rule {rule.name}: {rule.description}"]
    per_local: list[dict[str, Any]] = []
    if locs:
        trace.append(f"Per-local results (a local is in favor when its yes share is {rule.local}):")
    for lc in locs:
        entry, line = _per_local(rule, lc)
        per_local.append(entry)
        trace.append(line)

    passed, lines = _eval(rule.root, rule, tally, 0)
    trace.extend(lines)

    yes_share = share(tally.yes, tally.ballots)
    turnout = share(tally.ballots, tally.eligible)
    popular_ok = rule.popular.holds(yes_share)
    popular = {
        "yes": tally.yes,
        "no": tally.no,
        "ballots": tally.ballots,
        "eligible": tally.eligible,
        "yes_share": float(yes_share),
        "turnout": float(turnout),
        "required": str(rule.popular),
        "passed": popular_ok,
    }
    d_yes, d_total = tally.delegate_votes(rule.local)
    delegates_ok = rule.delegates.holds(share(d_yes, d_total))
    delegates = {
        "yes": d_yes,
        "no": d_total - d_yes,
        "total": d_total,
        "required": str(rule.delegates),
        "passed": delegates_ok,
    }
    in_favor = sum(1 for entry in per_local if entry["in_favor"])
    trace.append(
        f"Popular vote (reported for every rule): {tally.yes:,} yes, {tally.no:,} no "
        f"of {tally.ballots:,} ballots = {percent(yes_share)} {rule.popular} required: {_met(popular_ok)}; "
        f"turnout {tally.ballots:,} of {tally.eligible:,} eligible = {percent(turnout)}"
    )
    nodes = list(walk(rule.root, guards=True))
    uses_delegates = any(isinstance(n, DelegateMajority) for n in nodes)
    # A rule that does not weigh delegates gets no delegate line (its result still counts them).
    if uses_delegates:
        trace.append(
            f"Delegate vote, all locals: {d_yes:,} yes, {d_total - d_yes:,} no of {d_total:,} "
            f"= {percent(share(d_yes, d_total))} {rule.delegates} required"
            f"{_needed(rule.delegates, d_total, 'yes delegate votes') if d_total else ''}: {_met(delegates_ok)}; "
            f"{in_favor:,} of {len(locs):,} locals in favor"
        )
    trace.append(f"Outcome under {rule.name}: {'PASSED' if passed else 'FAILED'}")

    return Evaluation(
        rule=rule.name,
        description=rule.description,
        passed=passed,
        trace=trace,
        popular=popular,
        delegates=delegates,
        locals_in_favor=in_favor,
        per_local=per_local,
        counts_locals=any(isinstance(n, LocalsInFavor) for n in nodes),
        uses_delegates=uses_delegates,
        uses_popular=any(isinstance(n, PopularShare | EligibleShare | Turnout) for n in nodes),
        popular_threshold=float(rule.popular.value),
        threshold=None if (drawn := chart_threshold(rule)) is None else float(drawn.value),
    )
