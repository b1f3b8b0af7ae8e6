"""Verification of a vote bundle (DESIGN.md §3): every local archive, vote.json against the archives' elections,
result.json against the decrypted tallies and the union's rule re-evaluated from vote.json, and report.html.

result.json is checked whole: the verifier rebuilds the document the publisher writes from verified data only
(the archives' decrypted counts, vote.json, the rule's evaluation), with the same pure builder
(:func:`strikevote.rules.result_doc.build_result`), and compares every field; any difference, missing or
extra field fails ``result.field``, naming the JSON path.  Only ``closed_at`` cannot be recomputed: it must be
an ISO 8601 date and time, not before the voting window opened.  Imports crypto, belenios and rules only."""

from __future__ import annotations

import html
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from strikevote.belenios.errors import FormatError, UnreadableError
from strikevote.belenios.files import read_regular_text
from strikevote.belenios.strong_proofs import failed_entries, parse_document
from strikevote.belenios.trustees import decryption_keys
from strikevote.crypto.errors import CryptoError
from strikevote.crypto.hashing import sha256_b64
from strikevote.rules import LocalCount, RuleError, evaluate, load_rule
from strikevote.rules.result_doc import ResultError, build_result, election_description, vote_commitment
from strikevote.verify.archive import ArchiveFacts, verify_archive
from strikevote.verify.checks import Report
from strikevote.verify.layout import extra_files

_MAX_DIFFS: Final = 20
_ANNOUNCEMENT_RE: Final = re.compile(r'<p class="announcement" id="announcement">(.*?)</p>', re.S)


def _load_json(path: Path) -> Any:
    try:
        return json.loads(read_regular_text(path))
    except OSError as exc:
        raise UnreadableError(str(path), f"cannot read ({exc.strerror})") from None
    except ValueError as exc:
        raise UnreadableError(str(path), f"invalid JSON ({exc})") from None


def _field(obj: Any, key: str, where: str, typ: type) -> Any:
    if not isinstance(obj, dict) or key not in obj or not isinstance(obj[key], typ):
        raise FormatError(f"{where}.{key}", f"missing or not a {typ.__name__}")
    return obj[key]


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, float) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def diff_documents(expected: Any, actual: Any, where: str = "") -> list[str]:
    """Every path at which ``actual`` differs from ``expected`` (values, types, missing and extra fields,
    list lengths), as ``"popular.turnout: expected 0.89701, found 0.9"``.  Types are compared strictly:
    ``true`` is not ``1`` and ``1`` is not ``1.0``."""
    out: list[str] = []
    label = where or "(document)"
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{label}: expected an object, found {_show(actual)}"]
        for key, value in expected.items():
            path = f"{where}.{key}" if where else key
            if key not in actual:
                out.append(f"{path}: missing (expected {_show(value)})")
            else:
                out.extend(diff_documents(value, actual[key], path))
        for key in actual:
            if key not in expected:
                path = f"{where}.{key}" if where else str(key)
                out.append(f"{path}: unexpected field (value {_show(actual[key])})")
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{label}: expected a list, found {_show(actual)}"]
        if len(actual) != len(expected):
            out.append(f"{label}: {len(actual)} entries, expected {len(expected)}")
        for i, (e, a) in enumerate(zip(expected, actual, strict=False)):
            out.extend(diff_documents(e, a, f"{where}[{i}]"))
        return out
    if type(expected) is not type(actual) or expected != actual:
        return [f"{label}: expected {_show(expected)}, found {_show(actual)}"]
    return []


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _closed_at(report: Report, vote: dict[str, Any], result: dict[str, Any]) -> str | None:
    """The published ``closed_at`` when well formed (it cannot be recomputed), else fail and return None."""
    value = result.get("closed_at")
    closed = _timestamp(value)
    if closed is None:
        report.fail("result.field", f"closed_at: expected an ISO 8601 date and time, found {_show(value)}")
        return None
    opens = _timestamp(_obj(vote.get("window")).get("opens"))
    if opens is not None and (closed.tzinfo is None) == (opens.tzinfo is None) and closed < opens:
        report.fail("result.field", f"closed_at: {value} is before the voting window opened ({opens})")
        return None
    return str(value)


def definition_matches(vote: dict[str, Any], local: dict[str, Any], el: Any) -> bool:
    """The archive's election was set up for this vote and local (services/trustees.py): its name, description,
    group and yes/no question carry vote.json's title, union, group, local name and question, and the
    description commits to the rest of vote.json (rule, locals, delegates, window, roll, trustees)."""
    q = el.questions[0] if len(el.questions) == 1 else None
    return (
        el.name == f"{vote.get('title')} — {local.get('name')}"
        and el.description
        == election_description(
            str(vote.get("union")), str(vote.get("title")), str(local.get("id")), vote_commitment(vote)
        )
        and el.group.name == vote.get("group")
        and q is not None
        and tuple(q.answers) == ("Yes", "No")
        and q.min == q.max == 1  # exactly one answer: a blank or a double ballot is not a yes/no vote
        and q.question == local.get("question")
    )


def _count_of(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def verify_bundle(
    path: Path, *, jobs: int | None = None, credentials_fingerprints: dict[str, str] | None = None
) -> Report:
    """``credentials_fingerprints``: local id → a credential fingerprint obtained out of band (from a letter,
    the credential authority): each must be that local's, as well as the one vote.json publishes."""
    report = Report(str(path))
    strays = extra_files(path)
    report.check(
        "bundle.extra-files",
        not strays,
        f"the directory holds files beyond the bundle's items: {', '.join(strays)}"
        if strays
        else "the directory holds the bundle's items and nothing else",
    )
    wanted = dict(credentials_fingerprints or {})
    vote = _load_json(path / "vote.json")
    result = _load_json(path / "result.json")
    if not isinstance(result, dict):
        raise FormatError("result.json", "not a JSON object")
    elections = _field(vote, "elections", "vote.json", list)
    defined = {
        x["id"]: x for x in _field(vote, "locals", "vote.json", list) if isinstance(x, dict) and "id" in x
    }
    raw_published = result.get("locals")
    published = {
        x.get("id"): x
        for x in (raw_published if isinstance(raw_published, list) else [])
        if isinstance(x, dict)
    }
    counts: list[LocalCount] = []
    rebuilt_locals: list[dict[str, Any]] = []
    trustees_seen: set[str] = set()
    for i, e in enumerate(elections):
        where = f"vote.json.elections[{i}]"
        lid = _field(e, "local", where, str)
        archive = path / "locals" / f"{lid}.bel"
        if not archive.exists():
            report.fail("bundle.archive", f"local {lid}: {archive.name} is missing")
            continue
        sub, facts = verify_archive(archive, jobs=jobs, revote_policy=vote.get("revote", "last-counts"))
        report.extend(sub, prefix=f"{lid}/")
        el = facts.election
        if el is None:
            continue
        report.check(
            "bundle.election",
            el.uuid == e.get("uuid") and el.fingerprint == e.get("fingerprint"),
            f"local {lid}: archive election {el.uuid} matches vote.json",
        )
        d = defined.get(lid)
        if d is None:
            report.fail("bundle.definition", f"local {lid} has an election but is not defined in vote.json")
            continue
        report.check(
            "bundle.definition",
            definition_matches(vote, d, el),
            f"local {lid}: the election's name, group and yes/no question are vote.json's",
        )
        trustees_seen.add(trustees_fingerprint(archive))
        check_strong_proofs(report, path / "locals" / f"{lid}.proofs.json", lid, facts)
        eligible = _count_of(e.get("eligible"))
        report.check(
            "bundle.credentials",
            facts.credentials == eligible,
            f"local {lid}: {facts.credentials} credentials for {e.get('eligible')} eligible members",
        )
        fp = facts.credentials_fingerprint
        report.check(
            "bundle.credentials-fingerprint",
            fp is not None and fp == e.get("credentials_fingerprint"),
            f"local {lid}: the archive's credential list has fingerprint {fp}"
            + (
                ""
                if fp == e.get("credentials_fingerprint")
                else f", vote.json says {e.get('credentials_fingerprint')}"
            ),
        )
        if lid in wanted:
            given = wanted.pop(lid)
            report.check(
                "credentials.fingerprint",
                fp == given,
                f"local {lid}: credential fingerprint {fp} "
                + ("is the one given" if fp == given else f"is not the one given ({given})"),
            )
        pub = _obj(published.get(lid))
        if lid not in published:
            report.fail("result.locals", f"local {lid} is missing from result.json")
        if facts.result is None:
            report.fail("result.locals", f"local {lid}: the archive has no decrypted result")
            continue
        yes, no = facts.result[0][0], facts.result[0][1]
        if lid in published:
            ok = (pub.get("yes"), pub.get("no"), pub.get("ballots"), pub.get("eligible")) == (
                yes,
                no,
                yes + no,
                eligible,
            )
            report.check(
                "result.locals",
                ok,
                f"local {lid}: result.json {pub.get('yes')}/{pub.get('no')} "
                f"= decrypted {yes}/{no}, eligible {eligible}",
            )
        delegates = _count_of(d.get("delegates"))
        try:
            count = LocalCount(lid, str(d.get("name", lid)), delegates or 0, eligible or 0, yes, no)
        except ValueError as exc:
            report.fail("bundle.definition", f"local {lid}: {exc}")
            continue
        if lid in published:
            turnout = pub.get("turnout")
            ok_turnout = isinstance(turnout, float | int) and abs(turnout - float(count.turnout)) < 1e-6
            report.check("result.turnout", ok_turnout, f"local {lid}: turnout")
        counts.append(count)
        rebuilt_locals.append(
            {
                "id": lid,
                "name": d.get("name"),
                "delegates": d.get("delegates"),
                "eligible": eligible,
                "yes": yes,
                "no": no,
                "election_uuid": el.uuid,
                "election_fingerprint": el.fingerprint,
            }
        )
    for lid in sorted(wanted):
        report.fail(
            "credentials.fingerprint", f"a fingerprint was given for local {lid}, which has no archive"
        )
    listed = {e.get("local") for e in elections if isinstance(e, dict)}
    extra = set(published) - listed
    report.check(
        "result.locals",
        not extra,
        f"no local in result.json without an archive {sorted(map(str, extra)) or ''}",
    )
    undefined = set(defined) - listed
    report.check(
        "bundle.definition",
        not undefined,
        f"every local in vote.json has an election {sorted(map(str, undefined)) or ''}",
    )
    expected_fp = vote.get("trustees_fingerprint")
    report.check(
        "bundle.trustees",
        trustees_seen == {expected_fp},
        "every local election shares the trustees named in vote.json",
    )
    popular = _obj(result.get("popular"))
    tot_yes, tot_no = sum(c.yes for c in counts), sum(c.no for c in counts)
    report.check(
        "result.popular",
        (popular.get("yes"), popular.get("no"), popular.get("ballots"))
        == (tot_yes, tot_no, tot_yes + tot_no),
        f"union-wide {tot_yes} yes, {tot_no} no",
    )
    expected = None
    try:
        rule = load_rule(vote.get("rule", "simple-majority"))
    except RuleError as exc:
        report.fail("result.rule", f"vote.json rule: {exc}")
        rule = None
    if rule is not None and counts:
        ev = evaluate(rule, counts)
        dl = _obj(result.get("delegates"))
        report.check(
            "result.rule",
            ev.passed == result.get("passed"),
            f"rule {ev.rule} re-evaluated: {'passed' if ev.passed else 'failed'}",
        )
        report.check(
            "result.delegates",
            (dl.get("yes"), dl.get("no")) == (ev.delegates["yes"], ev.delegates["no"]),
            f"delegates {ev.delegates['yes']}–{ev.delegates['no']}",
        )
        if len(counts) == len(elections):  # else a local could not be counted, and has failed above
            expected = _rebuild(report, vote, result, rebuilt_locals, ev.to_json())
    elif not counts:
        report.fail("result.field", "no local could be counted, so result.json cannot be rebuilt")
    if expected is not None:
        diffs = diff_documents(expected, result)
        for line in diffs[:_MAX_DIFFS]:
            report.fail("result.field", f"result.json {line}")
        if len(diffs) > _MAX_DIFFS:
            report.fail("result.field", f"result.json: {len(diffs) - _MAX_DIFFS} more differences")
        if not diffs:
            report.check(
                "result.field",
                True,
                "result.json equals, field by field, the record rebuilt from the archives, vote.json and "
                "the rule",
            )
    _check_report_html(report, path, expected if expected is not None else result)
    return report


def _rebuild(
    report: Report,
    vote: dict[str, Any],
    result: dict[str, Any],
    locals_: list[dict[str, Any]],
    evaluation: dict[str, Any],
) -> dict[str, Any] | None:
    """The result.json the publisher (services/results.py) writes for these verified counts."""
    closed_at = _closed_at(report, vote, result)
    if closed_at is None:  # failed above; rebuild with the window's close so the rest is still compared
        closed_at = str(_obj(vote.get("window")).get("closes", ""))
    try:
        expected = build_result(
            union=vote.get("union", ""),  # all four are checked by build_result
            vote_title=vote.get("title", ""),
            kind=vote.get("kind", ""),
            locals_=locals_,
            evaluation=evaluation,
            closed_at=closed_at,
            group=vote.get("group", ""),
            rule_spec=vote.get("rule", "simple-majority"),
        )
    except ResultError as exc:
        report.fail("bundle.definition", f"vote.json: result.json cannot be rebuilt: {exc}")
        return None
    expected["closed_at"] = result.get("closed_at")  # not recomputable: checked by _closed_at
    return expected


def _check_report_html(report: Report, path: Path, result: dict[str, Any]) -> None:
    """report.html exists and announces what result.json does."""
    page = path / "report.html"
    try:
        text = read_regular_text(page)
    except (OSError, UnicodeDecodeError) as exc:
        reason = "is missing" if isinstance(exc, FileNotFoundError) else f"cannot be read ({exc})"
        report.fail("bundle.report", f"report.html {reason}")
        return
    match = _ANNOUNCEMENT_RE.search(text)
    if match is None:
        report.fail("bundle.report", "report.html has no announcement paragraph")
        return
    shown, announced = html.unescape(match.group(1)), result.get("announcement")
    report.check(
        "bundle.report",
        shown == announced,
        "report.html announces the result"
        if shown == announced
        else f"report.html announces {_show(shown)}, the result is {_show(announced)}",
    )


def check_strong_proofs(report: Report, proofs_path: Path, lid: str, facts: ArchiveFacts) -> None:
    """Every partial decryption of the archive has its strong proofs in ``proofs_path`` and they verify
    (DESIGN.md §12): ``bundle.proofs`` for the file itself, ``decryption.strong-proof`` per trustee."""
    el, tally = facts.election, facts.tally
    if el is None or tally is None:
        return  # no tally (yet): nothing was decrypted, nothing to prove
    name = f"locals/{proofs_path.name}"
    try:
        raw = proofs_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if facts.partials:
            report.fail("bundle.proofs", f"local {lid}: {name} is missing (strong decryption proofs)")
        return
    except (OSError, UnicodeDecodeError) as exc:
        report.fail("bundle.proofs", f"local {lid}: {name} cannot be read ({exc})")
        return
    try:
        by_owner = parse_document(el, raw, name)
    except (FormatError, CryptoError) as exc:
        report.fail("bundle.proofs", f"local {lid}: {exc}")
        return
    extra = sorted(set(by_owner) - set(facts.partials))
    report.check(
        "bundle.proofs",
        not extra,
        f"local {lid}: {name} proves the archive's partial decryptions"
        + (f" (and trustees {extra}, who published none)" if extra else ""),
    )
    keys = {tid: pk for tid, _t, _i, pk in decryption_keys(facts.trustees)}
    for owner, pd in sorted(facts.partials.items()):
        sp = by_owner.get(owner)
        if sp is None:
            report.fail("decryption.strong-proof", f"local {lid}: trustee {owner} has no strong proof")
            continue
        bad = failed_entries(el, tally, keys[owner], owner, pd, sp)
        report.check(
            "decryption.strong-proof",
            not bad,
            f"local {lid}: trustee {owner}'s factors proven for this tally's ciphertexts"
            if not bad
            else f"local {lid}: trustee {owner}'s strong proof fails for answer(s) {bad}: "
            "its decryption factor is not α^x for its key",
        )


def trustees_fingerprint(archive: Path) -> str:
    from strikevote.belenios.archive import read_records

    pending: dict[str, bytes] = {}
    for rec in read_records(archive):
        if rec.kind == "data":
            pending[rec.name_hash] = rec.content
        elif rec.kind == "event":
            ev = json.loads(rec.content)
            if ev.get("type") == "Setup":
                setup = json.loads(pending[ev["payload"]])
                return sha256_b64(pending[setup["trustees"]])
    return ""
