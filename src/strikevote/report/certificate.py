"""The results certificate (``report.html``) and the writing of ``result.json``."""

from __future__ import annotations

import functools
import json
import os
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from strikevote import __version__
from strikevote.report.charts import chart_threshold, turnout_chart, yes_share_chart
from strikevote.report.errors import ReportError
from strikevote.report.formatting import KINDS, count, percent
from strikevote.report.result import announcement
from strikevote.report.verified import summarize
from strikevote.report.vote_facts import EXCLUSION_REASONS, vote_facts
from strikevote.rules.result_doc import union_phrase

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
    env.filters["count"] = count
    env.filters["percent"] = lambda pair: percent(*pair)
    return env


def _checks(verification: Sequence[Check]) -> list[dict[str, Any]]:
    if isinstance(verification, str | bytes) or not isinstance(verification, Sequence):
        raise ReportError("verification", "must be a list of (name, ok, detail)")
    checks = []
    for i, item in enumerate(verification):
        if not isinstance(item, Sequence) or isinstance(item, str | bytes) or len(item) != 3:
            raise ReportError(f"verification[{i}]", f"must be (name, ok, detail), got {item!r}")
        name, ok, detail = item
        if not isinstance(name, str) or not isinstance(ok, bool) or not isinstance(detail, str):
            raise ReportError(f"verification[{i}]", f"must be (str, bool, str), got {item!r}")
        checks.append({"name": name, "ok": ok, "detail": detail})
    return checks


def _counts(value: Any, field: str, keys: Sequence[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ReportError(field, "must be an object")
    for key in keys:
        n = value.get(key)
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ReportError(f"{field}.{key}", f"must be a non-negative integer, got {n!r}")
    return value


def _local_rows(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    locals_ = result.get("locals")
    if not isinstance(locals_, list) or not locals_:
        raise ReportError("result.locals", "must be a non-empty list")
    rows = []
    keys = ("id", "name", "eligible", "ballots", "yes", "no", "in_favor", "delegates", "election_uuid")
    for i, local in enumerate(locals_):
        if not isinstance(local, Mapping):
            raise ReportError(f"result.locals[{i}]", "must be an object")
        for key in keys:
            if key not in local:
                raise ReportError(f"result.locals[{i}].{key}", "missing")
        rows.append(
            {
                "id": str(local["id"]),
                "name": local["name"],
                "eligible": local["eligible"],
                "ballots": local["ballots"],
                "yes": local["yes"],
                "no": local["no"],
                "yes_share": (local["yes"], local["ballots"]),
                "turnout": (local["ballots"], local["eligible"]),
                "in_favor": bool(local["in_favor"]),
                "delegates": local["delegates"],
                "delegates_yes": local.get("delegates_yes"),
                "election_uuid": local["election_uuid"],
                "election_fingerprint": local.get("election_fingerprint", ""),
            }
        )
    return rows


def _decided_by(rule: Mapping[str, Any], delegates_total: int) -> list[str]:
    """What the rule tests (result.rule.decided_by); for a result without it, the rule's flags."""
    raw = rule.get("decided_by")
    if raw is None:
        uses_delegates = rule.get("uses_delegates") is not False and delegates_total > 0
        return ["delegates"] if uses_delegates else ["members"]
    if not isinstance(raw, list) or not raw or not all(x in _DECIDER_LABEL for x in raw):
        raise ReportError("result.rule.decided_by", f"must list some of {', '.join(_DECIDER_LABEL)}")
    return list(raw)


def render_report_html(
    result: Mapping[str, Any], *, verification: Sequence[Check], vote: Mapping[str, Any] | None = None
) -> str:
    """The self-contained results certificate of a vote (inline CSS, charts as embedded PNG).

    ``verification``: the checks that were run on the bundle, as ``(name, ok, detail)``. ``vote``: the vote's
    ``vote.json``, for the questions, the voting window, the notice, the trustees and the exclusions (without
    it the certificate states the result only).
    """
    kind = result.get("kind")
    if kind not in KINDS:
        raise ReportError("result.kind", f"must be one of {', '.join(KINDS)}, got {kind!r}")
    passed = result.get("passed")
    if not isinstance(passed, bool):
        raise ReportError("result.passed", f"must be true or false, got {passed!r}")
    for key in ("union", "title", "rule", "popular", "delegates"):
        if key not in result:
            raise ReportError(f"result.{key}", "missing")
    rows = _local_rows(result)
    popular = _counts(result["popular"], "result.popular", ("yes", "no", "eligible"))
    delegates = _counts(result["delegates"], "result.delegates", ("yes", "no", "total"))
    rule = result["rule"]
    if not isinstance(rule, Mapping):
        raise ReportError("result.rule", "must be an object")
    checks = _checks(verification)
    decided_by = _decided_by(rule, delegates["total"])
    simulation = result.get("simulation", False)
    if not isinstance(simulation, bool):
        raise ReportError("result.simulation", f"must be true or false, got {simulation!r}")
    closed_at = result.get("closed_at")
    facts = vote_facts(vote, str(closed_at)) if vote is not None else None
    context = {
        "simulation": simulation,
        "facts": facts,
        "exclusion_reasons": EXCLUSION_REASONS,
        "decided_by": decided_by,
        "decided_by_text": " and ".join(_DECIDER_LABEL[x] for x in decided_by),
        "show_delegates": "delegates" in decided_by,
        "families": summarize(checks),
        "result": result,
        "union": result["union"],
        "union_phrase": union_phrase(result["union"]),
        "title": result["title"],
        "kind_label": _KIND_LABEL[kind],
        "outcome_label": _OUTCOME_LABEL[(kind, passed)],
        "passed": passed,
        "announcement": result.get("announcement") or announcement(result),
        "rule": {
            "name": rule.get("name", ""),
            "description": rule.get("description", ""),
            "trace": list(rule.get("trace", [])),
            "threshold": chart_threshold(result),  # None: the rule has no single yes-share threshold
        },
        "popular": {
            **popular,
            "yes_share_pair": (popular["yes"], popular["yes"] + popular["no"]),
            "turnout_pair": (popular["yes"] + popular["no"], popular["eligible"]),
        },
        "delegates": delegates,
        "locals_in_favor": sum(1 for row in rows if row["in_favor"]),
        "delegates_yes_total": sum(row["delegates_yes"] or 0 for row in rows),
        "locals": rows,
        "yes_share_png": yes_share_chart(result),
        "turnout_png": turnout_chart(result),
        "checks": checks,
        "checks_failed": sum(1 for check in checks if not check["ok"]),
        "version": __version__,
    }
    return _environment().get_template(_TEMPLATE).render(context)


def _bundle_vote(out_dir: Path) -> Mapping[str, Any] | None:
    path = out_dir / "vote.json"
    if not path.is_file():
        return None
    try:
        vote = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReportError("vote.json", f"cannot be read ({exc})") from None
    if not isinstance(vote, dict):
        raise ReportError("vote.json", "is not a JSON object")
    return vote


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
    result: Mapping[str, Any],
    verification: Sequence[Check],
    vote: Mapping[str, Any] | None = None,
) -> None:
    """Write ``out_dir/result.json`` and ``out_dir/report.html`` (creating ``out_dir``).

    ``vote``: the vote's vote.json; by default the one already in ``out_dir`` (the bundle's), if any.
    Both are rendered before either is written, so a bad input leaves no partial bundle behind.
    """
    out_dir = Path(out_dir)
    if vote is None:
        vote = _bundle_vote(out_dir)
    result_json = (
        json.dumps(dict(result), indent=2, sort_keys=False, ensure_ascii=False, allow_nan=False) + "\n"
    )
    html = render_report_html(result, verification=verification, vote=vote)
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_atomic(out_dir / "result.json", result_json)
    _write_atomic(out_dir / "report.html", html)
