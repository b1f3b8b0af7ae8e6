"""Verification of a vote bundle (DESIGN.md §3): every local archive, vote.json against the archives' elections,
result.json against the decrypted tallies and the union's rule re-evaluated from vote.json, and report.html.

vote.json is decoded into the vote record (:class:`strikevote.records.vote.VoteRecord`), which validates every
field; one that is wrong fails ``bundle.definition`` naming its path, and nothing else can be checked.
result.json is checked whole by :mod:`strikevote.verify.result`.

Per local it also requires ``locals/<id>.proofs.json``, the strong decryption proofs of every partial decryption
(``bundle.proofs``, ``decryption.strong-proof``; DESIGN.md §12), and checks the credential fingerprint vote.json
publishes against the archive's list (``bundle.credentials-fingerprint``) and against any given out of band
(``credentials.fingerprint``).  Imports crypto, belenios, records and rules only."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from strikevote.belenios.election import ElectionParams
from strikevote.belenios.errors import FormatError, UnreadableError
from strikevote.belenios.files import read_regular_text
from strikevote.belenios.strong_proofs import failed_entries, parse_document
from strikevote.belenios.trustees import decryption_keys
from strikevote.crypto.errors import CryptoError
from strikevote.crypto.hashing import sha256_b64
from strikevote.records.checks import Check
from strikevote.records.commitment import election_description, vote_commitment
from strikevote.records.errors import RecordError
from strikevote.records.vote import ElectionEntry, LocalTerms, VoteRecord
from strikevote.rules import LocalCount
from strikevote.verify.archive import ArchiveFacts, verify_archive
from strikevote.verify.checks import Report
from strikevote.verify.layout import extra_files
from strikevote.verify.result import check_result, show

__all__ = [
    "check_strong_proofs",
    "definition_matches",
    "trustees_fingerprint",
    "verify_bundle",
]

_ANNOUNCEMENT_RE: Final = re.compile(r'<p class="announcement" id="announcement">(.*?)</p>', re.S)


def _load_json(path: Path) -> Any:
    try:
        return json.loads(read_regular_text(path))
    except OSError as exc:
        raise UnreadableError(str(path), f"cannot read ({exc.strerror})") from None
    except ValueError as exc:
        raise UnreadableError(str(path), f"invalid JSON ({exc})") from None


def definition_matches(vote: VoteRecord, local: LocalTerms, el: ElectionParams) -> bool:
    """The archive's election was set up for this vote and local (services/trustees.py): its name, description,
    group and yes/no question carry vote.json's title, union, group, local name and question, and the
    description commits to the rest of vote.json (rule, locals, delegates, window, roll, trustees)."""
    terms = vote.terms
    q = el.questions[0] if len(el.questions) == 1 else None
    return (
        el.name == f"{terms.title} — {local.name}"
        and el.description == election_description(terms.union, terms.title, local.id, vote_commitment(vote))
        and el.group.name == terms.group
        and q is not None
        and tuple(q.answers) == ("Yes", "No")
        and q.min == q.max == 1  # exactly one answer: a blank or a double ballot is not a yes/no vote
        and q.question == local.question
    )


@dataclass
class _Bundle:
    """What the steps of :func:`verify_bundle` share."""

    path: Path
    report: Report
    vote: VoteRecord
    published: dict[str, Any]  # result.json, as published (compared, never trusted)
    wanted: dict[str, str]  # credential fingerprints given out of band, not yet matched with an archive
    jobs: int | None
    counts: list[LocalCount] = field(default_factory=list)
    trustees_seen: set[str] = field(default_factory=set)

    def published_local(self, lid: str) -> dict[str, Any] | None:
        listed = self.published.get("locals")
        found = (
            [x for x in listed if isinstance(x, dict) and x.get("id") == lid]
            if isinstance(listed, list)
            else []
        )
        return found[-1] if found else None


def verify_bundle(
    path: Path, *, jobs: int | None = None, credentials_fingerprints: dict[str, str] | None = None
) -> Report:
    """``credentials_fingerprints``: local id → a credential fingerprint obtained out of band (from a letter,
    the credential authority): each must be that local's, as well as the one vote.json publishes."""
    report = Report(str(path))
    _check_extra_files(report, path)
    vote = _decode_vote(report, _load_json(path / "vote.json"))
    published = _load_json(path / "result.json")
    if not isinstance(published, dict):
        raise FormatError("result.json", "not a JSON object")
    if vote is None:
        return report
    elections = vote.elections or ()  # decoded as a whole vote.json: never None
    bundle = _Bundle(path, report, vote, published, dict(credentials_fingerprints or {}), jobs)
    for entry in elections:
        _verify_local(bundle, entry)
    _check_coverage(bundle, elections)
    expected = check_result(
        report, vote, published, bundle.counts, complete=len(bundle.counts) == len(elections)
    )
    _check_report_html(report, path, expected if expected is not None else published)
    return report


def _check_extra_files(report: Report, path: Path) -> None:
    strays = extra_files(path)
    report.check(
        Check.BUNDLE_EXTRA_FILES,
        not strays,
        f"the directory holds files beyond the bundle's items: {', '.join(strays)}"
        if strays
        else "the directory holds the bundle's items and nothing else",
    )


def _decode_vote(report: Report, doc: Any) -> VoteRecord | None:
    """vote.json as the vote record; a bad field fails ``bundle.definition`` naming it, and gives None."""
    try:
        return VoteRecord.from_json(doc, "vote.json")
    except RecordError as exc:
        report.fail(Check.BUNDLE_DEFINITION, f"{exc} (nothing more can be checked against it)")
        return None


def _verify_local(bundle: _Bundle, entry: ElectionEntry) -> None:
    """One local: its archive, its election against vote.json, its credentials and its published counts."""
    report, lid = bundle.report, entry.local
    archive = bundle.path / "locals" / f"{lid}.bel"
    if not archive.exists():
        report.fail(Check.BUNDLE_ARCHIVE, f"local {lid}: {archive.name} is missing")
        return
    sub, facts = verify_archive(archive, jobs=bundle.jobs, revote_policy=bundle.vote.terms.revote)
    report.extend(sub, prefix=f"{lid}/")
    el = facts.election
    if el is None:
        return
    report.check(
        Check.BUNDLE_ELECTION,
        el.uuid == entry.uuid and el.fingerprint == entry.fingerprint,
        f"local {lid}: archive election {el.uuid} matches vote.json",
    )
    local = bundle.vote.terms.local(lid)
    if local is None:
        report.fail(Check.BUNDLE_DEFINITION, f"local {lid} has an election but is not defined in vote.json")
        return
    report.check(
        Check.BUNDLE_DEFINITION,
        definition_matches(bundle.vote, local, el),
        f"local {lid}: the election's name, group and yes/no question are vote.json's",
    )
    bundle.trustees_seen.add(trustees_fingerprint(archive))
    check_strong_proofs(report, bundle.path / "locals" / f"{lid}.proofs.json", lid, facts)
    _check_credentials(bundle, entry, facts)
    count = _check_published_counts(bundle, entry, local, facts)
    if count is not None:
        bundle.counts.append(count)


def _check_credentials(bundle: _Bundle, entry: ElectionEntry, facts: ArchiveFacts) -> None:
    """One credential per eligible member, and the credential fingerprint vote.json (and the caller) give."""
    report, lid = bundle.report, entry.local
    report.check(
        Check.BUNDLE_CREDENTIALS,
        facts.credentials == entry.eligible,
        f"local {lid}: {facts.credentials} credentials for {entry.eligible} eligible members",
    )
    fp, published_fp = facts.credentials_fingerprint, entry.credentials_fingerprint
    report.check(
        Check.BUNDLE_CREDENTIALS_FINGERPRINT,
        fp is not None and fp == published_fp,
        f"local {lid}: the archive's credential list has fingerprint {fp}"
        + ("" if fp == published_fp else f", vote.json says {published_fp}"),
    )
    if lid in bundle.wanted:
        given = bundle.wanted.pop(lid)
        report.check(
            Check.CREDENTIALS_FINGERPRINT,
            fp == given,
            f"local {lid}: credential fingerprint {fp} "
            + ("is the one given" if fp == given else f"is not the one given ({given})"),
        )


def _check_published_counts(
    bundle: _Bundle, entry: ElectionEntry, local: LocalTerms, facts: ArchiveFacts
) -> LocalCount | None:
    """The local's line of result.json against its archive's decrypted result; the verified count, if any."""
    report, lid, eligible = bundle.report, entry.local, entry.eligible
    pub = bundle.published_local(lid)
    if pub is None:
        report.fail(Check.RESULT_LOCALS, f"local {lid} is missing from result.json")
    if facts.result is None:
        report.fail(Check.RESULT_LOCALS, f"local {lid}: the archive has no decrypted result")
        return None
    yes, no = facts.result[0][0], facts.result[0][1]
    if pub is not None:
        report.check(
            Check.RESULT_LOCALS,
            (pub.get("yes"), pub.get("no"), pub.get("ballots"), pub.get("eligible"))
            == (yes, no, yes + no, eligible),
            f"local {lid}: result.json {pub.get('yes')}/{pub.get('no')} = decrypted {yes}/{no}, eligible {eligible}",
        )
    try:
        count = LocalCount(lid, local.name, local.delegates, eligible, yes, no)
    except ValueError as exc:
        report.fail(Check.BUNDLE_DEFINITION, f"local {lid}: {exc}")
        return None
    if pub is not None:
        turnout = pub.get("turnout")
        ok_turnout = isinstance(turnout, float | int) and abs(turnout - float(count.turnout)) < 1e-6
        report.check(Check.RESULT_TURNOUT, ok_turnout, f"local {lid}: turnout")
    return count


def _check_coverage(bundle: _Bundle, elections: tuple[ElectionEntry, ...]) -> None:
    """Every local has an election and an archive, every fingerprint given was used, one set of trustees."""
    report = bundle.report
    for lid in sorted(bundle.wanted):
        report.fail(
            Check.CREDENTIALS_FINGERPRINT, f"a fingerprint was given for local {lid}, which has no archive"
        )
    listed = {e.local for e in elections}
    raw = bundle.published.get("locals")
    published = {x.get("id") for x in raw if isinstance(x, dict)} if isinstance(raw, list) else set()
    extra = published - listed
    report.check(
        Check.RESULT_LOCALS,
        not extra,
        f"no local in result.json without an archive {sorted(map(str, extra)) or ''}",
    )
    undefined = {x.id for x in bundle.vote.terms.locals} - listed
    report.check(
        Check.BUNDLE_DEFINITION,
        not undefined,
        f"every local in vote.json has an election {sorted(map(str, undefined)) or ''}",
    )
    report.check(
        Check.BUNDLE_TRUSTEES,
        bundle.trustees_seen == {bundle.vote.trustees_fingerprint},
        "every local election shares the trustees named in vote.json",
    )


def _check_report_html(report: Report, path: Path, result: dict[str, Any]) -> None:
    """report.html exists and announces what result.json does."""
    page = path / "report.html"
    try:
        text = read_regular_text(page)
    except (OSError, UnicodeDecodeError) as exc:
        reason = "is missing" if isinstance(exc, FileNotFoundError) else f"cannot be read ({exc})"
        report.fail(Check.BUNDLE_REPORT, f"report.html {reason}")
        return
    match = _ANNOUNCEMENT_RE.search(text)
    if match is None:
        report.fail(Check.BUNDLE_REPORT, "report.html has no announcement paragraph")
        return
    shown, announced = html.unescape(match.group(1)), result.get("announcement")
    report.check(
        Check.BUNDLE_REPORT,
        shown == announced,
        "report.html announces the result"
        if shown == announced
        else f"report.html announces {show(shown)}, the result is {show(announced)}",
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
            report.fail(Check.BUNDLE_PROOFS, f"local {lid}: {name} is missing (strong decryption proofs)")
        return
    except (OSError, UnicodeDecodeError) as exc:
        report.fail(Check.BUNDLE_PROOFS, f"local {lid}: {name} cannot be read ({exc})")
        return
    try:
        by_owner = parse_document(el, raw, name)
    except (FormatError, CryptoError) as exc:
        report.fail(Check.BUNDLE_PROOFS, f"local {lid}: {exc}")
        return
    extra = sorted(set(by_owner) - set(facts.partials))
    report.check(
        Check.BUNDLE_PROOFS,
        not extra,
        f"local {lid}: {name} proves the archive's partial decryptions"
        + (f" (and trustees {extra}, who published none)" if extra else ""),
    )
    keys = {tid: pk for tid, _t, _i, pk in decryption_keys(facts.trustees)}
    for owner, pd in sorted(facts.partials.items()):
        sp = by_owner.get(owner)
        if sp is None:
            report.fail(Check.DECRYPTION_STRONG_PROOF, f"local {lid}: trustee {owner} has no strong proof")
            continue
        bad = failed_entries(el, tally, keys[owner], owner, pd, sp)
        report.check(
            Check.DECRYPTION_STRONG_PROOF,
            not bad,
            f"local {lid}: trustee {owner}'s factors proven for this tally's ciphertexts"
            if not bad
            else f"local {lid}: trustee {owner}'s strong proof fails for answer(s) {bad}: "
            "its decryption factor is not α^x for its key",
        )


def trustees_fingerprint(archive: Path) -> str:
    from strikevote.belenios.archive import read_entries

    pending: dict[str, bytes] = {}
    for rec in read_entries(archive):
        if rec.kind == "data":
            pending[rec.name_hash] = rec.content
        elif rec.kind == "event":
            ev = json.loads(rec.content)
            if ev.get("type") == "Setup":
                setup = json.loads(pending[ev["payload"]])
                return sha256_b64(pending[setup["trustees"]])
    return ""
