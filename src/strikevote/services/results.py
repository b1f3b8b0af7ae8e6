"""Results: combine k partial decryptions per local, publish each Result, apply the union's rule, and write the
bundle of DESIGN.md §3 (``vote.json``, ``locals/<id>.bel``, ``result.json``, ``report.html``)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from strikevote.belenios.election import ElectionParams
from strikevote.belenios.errors import CombinationError
from strikevote.belenios.strong_proofs import document_json, parse_proofs
from strikevote.belenios.tally import (
    PartialDecryption,
    combine_decryptions,
    decrypt_result,
    parse_owned,
    parse_partial_decryption,
    result_json,
)
from strikevote.belenios.trustees import parse_trustees
from strikevote.crypto.hashing import sha256_b64
from strikevote.db import models
from strikevote.records.result import ResultRecord
from strikevote.records.result_build import build_result
from strikevote.records.vote import EXCLUSION_REASONS, ElectionEntry, Exclusions, VoteRecord
from strikevote.report import write_report
from strikevote.roll.eligibility import ExclusionReason
from strikevote.rules import LocalCount, evaluate
from strikevote.services.board import Board, export_archive, payloads
from strikevote.services.bundle_dir import check_bundle_dir, clear_bundle
from strikevote.services.credentials import credentials_fingerprint
from strikevote.services.definition import VoteDefinition
from strikevote.services.errors import StateError
from strikevote.services.tally import encrypted_tally_of
from strikevote.services.votes import elections, load_vote, require_state


@dataclass(frozen=True)
class Outcome:
    result: ResultRecord
    bundle: Path | None


def decrypt_results(db: sessionmaker[Session], vote_id: str) -> dict[str, list[list[int]]]:
    """Combine the partial decryptions of every local and publish its Result event."""
    out: dict[str, list[list[int]]] = {}
    with db.begin() as s:
        vote, _defn = load_vote(s, vote_id)
        require_state(vote, "closed")
        for el in elections(s, vote_id):
            election = ElectionParams.parse(el.election_json)
            trustees = parse_trustees(election.group, vote.trustees_json or "[]")
            tally, sized = encrypted_tally_of(s, el, election)
            partials: dict[int, PartialDecryption] = {}
            for owned in payloads(s, el.id, "PartialDecryption"):
                owner, h = parse_owned(owned)
                rec = s.get(models.Record, (el.id, h))
                if rec is not None:
                    partials[owner] = parse_partial_decryption(election, rec.content)
            try:
                factors = combine_decryptions(election, trustees, partials)
            except CombinationError as exc:
                missing = _missing_trustees(s, vote, _defn.trustees_k, el.local_id, set(partials), exc)
                raise StateError(missing) from None
            result = decrypt_result(election, tally, factors, sized.total_weight)
            board = Board(s, el.id)
            board.add_event("Result", board.add_data(result_json(result)))
            out[el.local_id] = result
        vote.state = "tallied"
    return out


def _missing_trustees(
    s: Session, vote: models.Vote, k: int, local_id: str, decrypted: set[int], exc: Exception
) -> str:
    """Why a local cannot be decrypted yet, naming the trustees who have decrypted it and those still missing."""
    seats = s.scalars(
        select(models.Trustee).where(models.Trustee.vote_id == vote.id).order_by(models.Trustee.index)
    ).all()
    done = [f"{t.name} (#{t.index})" for t in seats if t.index in decrypted]
    missing = [f"{t.name} (#{t.index})" for t in seats if t.index not in decrypted]
    if len(done) >= k or not missing:  # enough shares, yet they do not combine: say what the combiner found
        return f"local {local_id}: {exc}"
    need = k - len(done)
    who = ", ".join(missing)
    still = who if need == len(missing) else f"any {need} of {who}"
    return (
        f"local {local_id}: {len(done)} of the {k} trustee decryptions needed "
        f"({'by ' + ', '.join(done) if done else 'none yet'}); still missing: {still} "
        "(each runs `strikevote trustee decrypt`)"
    )


def strong_proofs_document(s: Session, el: models.Election) -> str:
    """``locals/<id>.proofs.json``: every trustee's strong decryption proofs for this local (DESIGN.md §12)."""
    election = ElectionParams.parse(el.election_json)
    rows = s.scalars(select(models.DecryptionProof).where(models.DecryptionProof.election_id == el.id))
    return document_json(
        election, {r.owner: parse_proofs(election, r.content, "stored proofs") for r in rows}
    )


def vote_header(vote: models.Vote, defn: VoteDefinition) -> VoteRecord:
    """vote.json without its elections: what each election's description commits to (records.commitment)."""
    return VoteRecord(
        id=vote.id,
        terms=defn.terms(),
        roll_digest=vote.roll_digest,
        trustees_fingerprint=sha256_b64(vote.trustees_json or ""),
        elections=None,
    )


def vote_record(
    vote: models.Vote,
    defn: VoteDefinition,
    els: list[models.Election],
    credential_fps: Mapping[int, str | None],
    excluded: Mapping[str, Exclusions] | None = None,
) -> VoteRecord:
    """vote.json; with ``excluded`` (:func:`excluded_by_local`), each election also says how many members of
    its local's roll were excluded, and why (informational: outside the commitment, as the roll is private)."""
    entries = tuple(
        ElectionEntry(
            local=el.local_id,
            uuid=el.uuid,
            fingerprint=el.fingerprint,
            eligible=el.eligible,
            credentials_fingerprint=credential_fps[el.id],
            excluded=None if excluded is None else excluded.get(el.local_id, _NO_EXCLUSIONS),
        )
        for el in els
    )
    return replace(vote_header(vote, defn), elections=entries)


_NO_EXCLUSIONS = Exclusions(0, tuple(0 for _ in EXCLUSION_REASONS))


def excluded_by_local(s: Session, vote_id: str) -> dict[str, Exclusions]:
    """Per local: the members on the roll snapshot who may not vote, in all and by reason (a member may have
    several reasons, so the reasons can add up to more than the total)."""
    totals: Counter[str] = Counter()
    reasons: dict[str, Counter[str]] = {}
    rows = s.execute(
        select(models.Member.local_id, models.Member.reasons).where(
            models.Member.vote_id == vote_id, models.Member.eligible.is_(False)
        )
    )
    for local_id, listed in rows:
        totals[local_id] += 1
        reasons.setdefault(local_id, Counter()).update(
            ExclusionReason(r) for r in filter(None, listed.split(","))
        )
    return {
        local_id: Exclusions(total, tuple(reasons[local_id][reason] for reason in EXCLUSION_REASONS))
        for local_id, total in totals.items()
    }


def _closed_at(vote: models.Vote, planned: datetime) -> datetime:
    """When the ballot box was closed, to the second (votes closed before migration 0002 only have the planned
    time)."""
    if vote.closed_at is None:
        return planned
    at = vote.closed_at
    if at.tzinfo is None:  # SQLite keeps no offset; we always store UTC
        at = at.replace(tzinfo=UTC)
    return at.replace(microsecond=0)


def publish(
    db: sessionmaker[Session],
    vote_id: str,
    out: Path,
    verification: list[tuple[str, bool, str]] | None = None,
    closed_at: datetime | None = None,
) -> Outcome:
    """Apply the rule to the decrypted counts and write the bundle into ``out``: a new or empty directory, or
    this vote's previous bundle (replaced); anything else is refused before a byte is written."""
    check_bundle_dir(out, vote_id)
    with db.begin() as s:
        vote, defn = load_vote(s, vote_id)
        require_state(vote, "tallied", "published")
        clear_bundle(out)
        (out / "locals").mkdir(parents=True, exist_ok=True)
        els = elections(s, vote_id)
        counts = []
        for el in els:
            res = next(payloads(s, el.id, "Result"))
            yes, no = json.loads(res)["result"][0]
            loc = defn.local(el.local_id)
            counts.append(LocalCount(loc.id, loc.name, loc.delegates, el.eligible, yes, no))
            export_archive(s, el.id, out / "locals" / f"{loc.id}.bel", int(vote.created_at.timestamp()))
            (out / "locals" / f"{loc.id}.proofs.json").write_text(
                strong_proofs_document(s, el), encoding="utf-8"
            )
        fps = {el.id: credentials_fingerprint(s, el) for el in els}
        record = vote_record(vote, defn, els, fps, excluded_by_local(s, vote_id))
        result = build_result(record, evaluate(defn.rule, counts), closed_at or _closed_at(vote, defn.closes))
        (out / "vote.json").write_text(record.to_text(), encoding="utf-8")
        write_report(out, result, verification or [], vote=record)
        vote.state = "published"
    return Outcome(result, out)
