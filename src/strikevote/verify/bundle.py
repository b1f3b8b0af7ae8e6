"""Verification of a vote bundle (DESIGN.md §3): every local archive, result.json against the decrypted
tallies, the sums, and the union's rule re-evaluated from vote.json.  Imports crypto, belenios and rules only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from strikevote.belenios.errors import FormatError, UnreadableError
from strikevote.crypto.hashing import sha256_b64
from strikevote.rules import LocalCount, RuleError, evaluate, load_rule
from strikevote.verify.archive import verify_archive
from strikevote.verify.checks import Report


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UnreadableError(str(path), f"cannot read ({exc.strerror})") from None
    except ValueError as exc:
        raise UnreadableError(str(path), f"invalid JSON ({exc})") from None


def _field(obj: Any, key: str, where: str, typ: type) -> Any:
    if not isinstance(obj, dict) or key not in obj or not isinstance(obj[key], typ):
        raise FormatError(f"{where}.{key}", f"missing or not a {typ.__name__}")
    return obj[key]


def verify_bundle(path: Path, *, jobs: int | None = None) -> Report:
    report = Report(str(path))
    vote = _load_json(path / "vote.json")
    result = _load_json(path / "result.json")
    elections = _field(vote, "elections", "vote.json", list)
    defined = {
        x["id"]: x for x in _field(vote, "locals", "vote.json", list) if isinstance(x, dict) and "id" in x
    }
    published = {x.get("id"): x for x in _field(result, "locals", "result.json", list) if isinstance(x, dict)}
    counts: list[LocalCount] = []
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
        trustees_seen.add(_trustees_fingerprint(archive))
        report.check(
            "bundle.credentials",
            facts.credentials == e.get("eligible"),
            f"local {lid}: {facts.credentials} credentials for {e.get('eligible')} eligible members",
        )
        pub = published.get(lid)
        if pub is None:
            report.fail("result.locals", f"local {lid} is missing from result.json")
            continue
        if facts.result is None:
            report.fail("result.locals", f"local {lid}: the archive has no decrypted result")
            continue
        yes, no = facts.result[0][0], facts.result[0][1]
        eligible = e.get("eligible")
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
        if isinstance(eligible, int) and eligible >= yes + no:
            ok_turnout = abs(float(pub.get("turnout", -1)) - (yes + no) / max(1, eligible)) < 1e-6
            report.check("result.turnout", ok_turnout, f"local {lid}: turnout")
        d = defined.get(lid, {})
        counts.append(
            LocalCount(lid, str(d.get("name", lid)), int(d.get("delegates", 1)), int(eligible or 0), yes, no)
        )
    extra = set(published) - {e.get("local") for e in elections if isinstance(e, dict)}
    report.check(
        "result.locals",
        not extra,
        f"no local in result.json without an archive {sorted(map(str, extra)) or ''}",
    )
    expected_fp = vote.get("trustees_fingerprint")
    report.check(
        "bundle.trustees",
        trustees_seen == {expected_fp},
        "every local election shares the trustees named in vote.json",
    )
    popular = result.get("popular", {})
    tot_yes, tot_no = sum(c.yes for c in counts), sum(c.no for c in counts)
    report.check(
        "result.popular",
        (popular.get("yes"), popular.get("no"), popular.get("ballots"))
        == (tot_yes, tot_no, tot_yes + tot_no),
        f"union-wide {tot_yes} yes, {tot_no} no",
    )
    try:
        rule = load_rule(vote.get("rule", "simple-majority"))
    except RuleError as exc:
        report.fail("result.rule", f"vote.json rule: {exc}")
        return report
    if counts:
        ev = evaluate(rule, counts)
        dl = result.get("delegates", {})
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
    return report


def _trustees_fingerprint(archive: Path) -> str:
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
