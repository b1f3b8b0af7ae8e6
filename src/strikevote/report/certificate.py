"""The results certificate (``report.html``) of a result record, and the writing of ``result.json`` with it."""

from __future__ import annotations

import functools
import os
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from strikevote import __version__
from strikevote.records.announcement import union_phrase
from strikevote.records.errors import RecordError
from strikevote.records.numbers import percent_one_decimal, thousands
from strikevote.records.result import ResultRecord
from strikevote.records.vote import VoteRecord
from strikevote.report.charts import turnout_chart, yes_share_chart
from strikevote.report.verified import summarize
from strikevote.report.vote_facts import EXCLUSION_LABELS, vote_facts

if TYPE_CHECKING:
    import jinja2

__all__ = ["render_report_html", "write_report"]

Check = tuple[str, bool, str]

_TEMPLATE: Final = "report.html.j2"

_KIND_LABEL: Final = {
    "strike-authorization": "Strike authorization vote",
    "ratification": "Ratification vote",
}
# What a rule tests (result.rule.decided_by), as the banner names it.
_DECIDER_LABEL: Final = {
    "members": "the members' vote",
    "locals": "the count of locals in favor",
    "delegates": "the delegate vote",
}
_OUTCOME_LABEL: Final = {
    ("strike-authorization", True): "Strike authorized",
    ("strike-authorization", False): "Strike not authorized",
    ("ratification", True): "Agreement ratified",
    ("ratification", False): "Agreement rejected",
}


@functools.cache
def _environment() -> jinja2.Environment:
    import jinja2  # here, not at module level: keeps `import strikevote.report` cheap

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("strikevote.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["count"] = thousands
    env.filters["percent"] = lambda pair: percent_one_decimal(*pair)
    return env


def _local_rows(result: ResultRecord) -> list[dict[str, Any]]:
    return [
        {
            "id": x.id,
            "name": x.name,
            "eligible": x.eligible,
            "ballots": x.ballots,
            "yes": x.yes,
            "no": x.no,
            "yes_share": (x.yes, x.ballots),  # percentages from the integers, never from the stored shares
            "turnout": (x.ballots, x.eligible),
            "in_favor": x.in_favor,
            "delegates": x.delegates,
            "delegates_yes": x.delegates_yes,
            "election_uuid": x.election_uuid,
            "election_fingerprint": x.election_fingerprint,
        }
        for x in result.locals
    ]


def render_report_html(
    result: ResultRecord, *, verification: Sequence[Check], vote: VoteRecord | None = None
) -> str:
    """The self-contained results certificate of a vote (inline CSS, charts as embedded PNG).

    ``verification``: the checks that were run on the bundle, as ``(name, ok, detail)``. ``vote``: the vote's
    record (vote.json), for the questions, the voting window, the notice, the trustees and the exclusions
    (without it the certificate states the result only).
    """
    rows = _local_rows(result)
    popular, delegates, rule = result.popular, result.delegates, result.rule
    checks = [{"name": name, "ok": ok, "detail": detail} for name, ok, detail in verification]
    decided_by = list(rule.decided_by)
    context = {
        "simulation": result.simulation,
        "facts": vote_facts(vote, result.closed_at) if vote is not None else None,
        "exclusion_reasons": EXCLUSION_LABELS,
        "decided_by": decided_by,
        "decided_by_text": " and ".join(_DECIDER_LABEL[x] for x in decided_by),
        "show_delegates": "delegates" in decided_by,
        "families": summarize(checks),
        "result": result,
        "closed_at": result.closed_at.isoformat(),
        "union": result.union,
        "union_phrase": union_phrase(result.union),
        "title": result.title,
        "kind_label": _KIND_LABEL[result.kind],
        "outcome_label": _OUTCOME_LABEL[(result.kind, result.passed)],
        "passed": result.passed,
        "announcement": result.announcement,
        "rule": {
            "name": rule.name,
            "description": rule.description,
            "trace": list(rule.trace),
            "threshold": rule.threshold,  # None: the rule has no single yes-share threshold
        },
        "popular": {
            "yes": popular.yes,
            "no": popular.no,
            "eligible": popular.eligible,
            "passed": popular.passed,
            "yes_share_pair": (popular.yes, popular.yes + popular.no),
            "turnout_pair": (popular.yes + popular.no, popular.eligible),
        },
        "delegates": delegates,
        "locals_in_favor": sum(1 for row in rows if row["in_favor"]),
        "delegates_yes_total": sum(row["delegates_yes"] for row in rows),
        "locals": rows,
        "yes_share_png": yes_share_chart(result),
        "turnout_png": turnout_chart(result),
        "checks": checks,
        "checks_failed": sum(1 for check in checks if not check["ok"]),
        "version": __version__,
    }
    return _environment().get_template(_TEMPLATE).render(context)


def _bundle_vote(out_dir: Path) -> VoteRecord | None:
    path = out_dir / "vote.json"
    if not path.is_file():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordError("vote.json", f"cannot be read ({exc})") from None
    return VoteRecord.from_text(text)


def _write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file in the same directory and rename, so readers never see half a file.
    (``open(..., "x")`` rather than ``mkstemp``, so the file gets the usual umask permissions.)"""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with tmp.open("x", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_report(
    out_dir: Path,
    result: ResultRecord,
    verification: Sequence[Check],
    vote: VoteRecord | None = None,
) -> None:
    """Write ``out_dir/result.json`` and ``out_dir/report.html`` (creating ``out_dir``).

    ``vote``: the vote's record; by default the bundle's vote.json already in ``out_dir``, if any (a bad one
    raises :class:`RecordError`). Both files are rendered before either is written, so an error leaves no
    partial bundle behind.
    """
    out_dir = Path(out_dir)
    if vote is None:
        vote = _bundle_vote(out_dir)
    result_json = result.to_text()
    html = render_report_html(result, verification=verification, vote=vote)
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_atomic(out_dir / "result.json", result_json)
    _write_atomic(out_dir / "report.html", html)
