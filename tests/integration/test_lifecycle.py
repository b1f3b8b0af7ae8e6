"""The whole vote lifecycle through the real services, on SQLite and PostgreSQL, and the ballot box's and
trustees' refusals (DESIGN.md §10): every refusal is typed and leaves everything already stored untouched."""

from __future__ import annotations

import base64
import dataclasses
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from vote_kit import (
    NOW,
    PASSPHRASE,
    Kit,
    archive_trackers,
    belenios_verify,
    board_state,
    definition_dict,
    open_vote,
    toml_text,
)

from strikevote.belenios.election import ElectionParams
from strikevote.belenios.strong_proofs import proofs_json, prove_partial
from strikevote.belenios.tally import compute_factor
from strikevote.crypto.randomness import SystemRandomness
from strikevote.db import models
from strikevote.db.engine import open_db
from strikevote.report import write_report
from strikevote.services import ballotbox, results, tally, trustee_import, trustees
from strikevote.services.ballotbox import Receipt
from strikevote.services.definition import load_definition
from strikevote.services.errors import BallotRejected, DefinitionError, StateError, TrusteeError
from strikevote.services.tally import encrypted_tally_of
from strikevote.services.votes import elections
from strikevote.trustee import keyfile
from strikevote.verify.bundle import verify_bundle

# Local 44: 5 yes, 2 no, 1 abstains; local 80: 3 yes, 3 no, 2 abstain.
PLAN = {"44": (5, 2), "80": (3, 3)}


def cast_plan(kit: Kit) -> list[Receipt]:
    receipts = []
    for local, (yes, no) in PLAN.items():
        for i, letter in enumerate(kit.letters_of(local)[: yes + no]):
            receipts.append(ballotbox.cast(kit.db, kit.vote_id, kit.ballot(letter, i < yes), NOW))
    return receipts


def run_to_bundle(
    kit: Kit, out: Path, decrypting: tuple[int, ...] = (1, 3), *, close: bool = True
) -> dict[str, list[list[int]]]:
    if close:
        tally.close_and_tally(kit.db, kit.vote_id)
    rng = SystemRandomness()
    for i in decrypting:
        assert trustees.partial_decrypt(
            kit.db, kit.vote_id, kit.keys[i - 1], rng, passphrase=PASSPHRASE
        ) == len(kit.elections)
    counts = results.decrypt_results(kit.db, kit.vote_id)
    outcome = results.publish(kit.db, kit.vote_id, out)
    report = verify_bundle(out, jobs=1)
    assert report.valid, [f"{c.name}: {c.detail}" for c in report.failures]
    write_report(out, outcome.result, [(c.name, c.passed, c.detail) for c in report.checks])
    return counts


def expect_refusal(kit: Kit, reason: str, raw: str, now: datetime = NOW, local_id: str | None = None) -> None:
    before = board_state(kit.db)
    with pytest.raises(BallotRejected) as info:
        ballotbox.cast(kit.db, kit.vote_id, raw, now, local_id=local_id)
    assert info.value.reason == reason, str(info.value)
    assert board_state(kit.db) == before


def test_whole_lifecycle(db_url: str, tmp_path: Path) -> None:
    db = open_db(db_url)
    kit = open_vote(db, tmp_path)
    assert len(kit.letters) == 16
    for letter in kit.letters:
        assert letter.path.stat().st_mode & 0o777 == 0o600
        assert letter.credential in letter.path.read_text()
    with db() as s:  # the server holds public credentials only
        publics = set(s.scalars(select(models.Credential.public)))
    assert publics and not {x.credential for x in kit.letters} & publics
    receipts = cast_plan(kit)
    assert len({r.tracker for r in receipts}) == len(receipts) == 13
    out = tmp_path / "bundle"
    counts = run_to_bundle(kit, out)
    assert counts == {lid: [[yes, no]] for lid, (yes, no) in PLAN.items()}
    result = json.loads((out / "result.json").read_text())
    by_local = {x["id"]: x for x in result["locals"]}
    for lid, (yes, no) in PLAN.items():
        assert (by_local[lid]["yes"], by_local[lid]["no"], by_local[lid]["eligible"]) == (yes, no, 8)
        # every acknowledged ballot is on the published board
        mine = [r.tracker for r in receipts if r.local_id == lid]
        assert archive_trackers(out / "locals" / f"{lid}.bel") == mine
    assert result["popular"]["yes"] == 8 and result["popular"]["no"] == 5
    html = (out / "report.html").read_text()
    assert "result.popular" in html and "bundle.trustees" in html  # the verification is on the certificate
    assert verify_bundle(out, jobs=1).valid


@pytest.mark.interop
def test_lifecycle_archives_accepted_by_belenios_tool_3(tmp_path: Path, belenios_tool_3: str) -> None:
    kit = open_vote(open_db(f"sqlite:///{tmp_path / 'sv.db'}"), tmp_path)
    cast_plan(kit)
    out = tmp_path / "bundle"
    run_to_bundle(kit, out, decrypting=(2, 3))
    archives = sorted((out / "locals").glob("*.bel"))
    assert [a.stem for a in archives] == sorted(PLAN)
    for archive in archives:
        output = belenios_verify(belenios_tool_3, archive, tmp_path / f"tool-{archive.stem}")
        assert "all checks passed" in output, output


def test_ballot_box_refusals(db_url: str, tmp_path: Path) -> None:
    db = open_db(db_url)
    kit = open_vote(db, tmp_path)
    other = open_vote(db, tmp_path, "it-other", sizes={"44": 2}, n=1, k=1, issue=False)
    a, b = kit.letters_of("44")[:2]
    first = kit.ballot(a, True)
    first_receipt = ballotbox.cast(db, kit.vote_id, first, NOW)
    ballotbox.cast(db, kit.vote_id, kit.ballot(kit.letters_of("80")[0], False), NOW)

    fresh = kit.ballot(b, True)
    expect_refusal(kit, "not-open-yet", fresh, now=kit.defn.opens - timedelta(minutes=1))
    expect_refusal(kit, "closed", fresh, now=kit.defn.closes + timedelta(minutes=1))
    expect_refusal(kit, "wrong-election", fresh, local_id="80")
    expect_refusal(kit, "wrong-election", kit.stranger_ballot(other.elections["44"]))
    before = board_state(kit.db)  # an identical re-send gets the original receipt, and appends nothing
    assert ballotbox.cast(db, kit.vote_id, first, NOW) == Receipt(
        first_receipt.tracker, "44", kit.elections["44"].uuid, first_receipt.height, resent=True
    )
    assert board_state(kit.db) == before
    expect_refusal(kit, "revote", kit.ballot(a, False))
    expect_refusal(kit, "unknown-credential", kit.stranger_ballot("44"))
    expect_refusal(kit, "invalid", "this is not a ballot")
    tampered = json.loads(fresh)
    tampered["answers"][0]["choices"][0]["alpha"] = tampered["answers"][0]["choices"][1]["alpha"]
    expect_refusal(kit, "invalid", json.dumps(tampered, separators=(",", ":")))
    # the refused ballot is still good; the right local is named
    assert ballotbox.cast(db, kit.vote_id, fresh, NOW, local_id="44").local_id == "44"

    tally.close_and_tally(db, kit.vote_id)
    expect_refusal(kit, "closed", kit.ballot(kit.letters_of("80")[1], True))


def test_last_counts_counts_the_later_ballot(db_url: str, tmp_path: Path) -> None:
    db = open_db(db_url)
    kit = open_vote(db, tmp_path, revote="last-counts", sizes={"44": 3, "80": 2})
    a, b, _c = kit.letters_of("44")
    earlier = kit.ballot(a, True)
    ballotbox.cast(db, kit.vote_id, earlier, NOW)
    ballotbox.cast(db, kit.vote_id, kit.ballot(b, True), NOW)
    later = ballotbox.cast(db, kit.vote_id, kit.ballot(a, False), NOW)
    assert later.local_id == "44"
    before = board_state(kit.db)  # re-sending the earlier ballot gets its receipt but cannot bring it back
    assert ballotbox.cast(db, kit.vote_id, earlier, NOW).resent
    assert board_state(kit.db) == before
    ballotbox.cast(db, kit.vote_id, kit.ballot(kit.letters_of("80")[0], True), NOW)
    assert tally.close_and_tally(db, kit.vote_id) == {"44": 2, "80": 1}
    counts = run_to_bundle(kit, tmp_path / "bundle", decrypting=(2, 1), close=False)
    assert counts == {"44": [[1, 1]], "80": [[1, 0]]}


def test_concurrent_casts_with_one_credential(db_url: str, tmp_path: Path) -> None:
    db = open_db(db_url)
    kit = open_vote(db, tmp_path, sizes={"44": 2, "80": 1})
    letter = kit.letters_of("44")[0]
    raws = [kit.ballot(letter, i % 2 == 0) for i in range(8)]
    assert len(set(raws)) == 8
    start = threading.Barrier(8)

    def attempt(raw: str) -> Receipt | BallotRejected:
        start.wait()
        try:
            return ballotbox.cast(db, kit.vote_id, raw, NOW)
        except BallotRejected as exc:
            return exc

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(attempt, raws))
    won = [o for o in outcomes if isinstance(o, Receipt)]
    lost = [o for o in outcomes if isinstance(o, BallotRejected)]
    assert len(won) == 1 and len(lost) == 7
    assert {o.reason for o in lost} == {"revote"}
    with db() as s:
        assert s.scalar(select(func.count()).select_from(models.Ballot)) == 1
        heights = list(
            s.scalars(select(models.Event.height).order_by(models.Event.election_id, models.Event.height))
        )
    assert heights == [0, 1, 0]  # Setup + the one ballot in 44; Setup in 80: the chains are intact
    assert tally.close_and_tally(db, kit.vote_id) == {"44": 1, "80": 0}


def test_partial_decryptions_from_non_trustees_are_refused(db_url: str, tmp_path: Path) -> None:
    db = open_db(db_url)
    kit = open_vote(db, tmp_path, sizes={"44": 2, "80": 2})
    other = open_vote(db, tmp_path, "it-other", sizes={"44": 2}, n=1, k=1, issue=False)
    ballotbox.cast(db, kit.vote_id, kit.ballot(kit.letters_of("44")[0], True), NOW)
    ballotbox.cast(db, kit.vote_id, kit.ballot(kit.letters_of("80")[0], False), NOW)
    rng = SystemRandomness()
    with pytest.raises(StateError):  # nothing to decrypt before the close
        trustees.partial_decrypt(db, kit.vote_id, kit.keys[0], rng, passphrase=PASSPHRASE)
    tally.close_and_tally(db, kit.vote_id)
    key1 = keyfile.open_key(kit.keys[0], PASSPHRASE, kit.vote_id)
    assert key1.share is not None

    def forged(name: str, **changes: object) -> Path:
        """A key file, properly encrypted under the right passphrase, holding other contents."""
        path = tmp_path / name
        keyfile.create(path, dataclasses.replace(key1, **changes), PASSPHRASE)  # type: ignore[arg-type]
        return path

    altered = tmp_path / "altered.key"
    doc = json.loads(kit.keys[0].read_text())
    box = bytearray(base64.b64decode(doc["box"]))
    box[-1] ^= 1
    altered.write_text(json.dumps({**doc, "box": base64.b64encode(bytes(box)).decode()}))
    truncated = tmp_path / "truncated.key"
    truncated.write_bytes(kit.keys[0].read_bytes()[:100])
    for bad, passphrase in (
        (forged("wrong-share.key", share=key1.share + 1), PASSPHRASE),
        (forged("index-4.key", index=4), PASSPHRASE),
        (forged("index-0.key", index=0), PASSPHRASE),
        (forged("index-2.key", index=2), PASSPHRASE),  # trustee 1's share under trustee 2's name
        (forged("no-share.key", share=None), PASSPHRASE),
        (kit.keys[0], b"not the passphrase"),
        (altered, PASSPHRASE),
        (truncated, PASSPHRASE),
        (other.keys[0], PASSPHRASE),  # a trustee of another vote
    ):
        before = board_state(db)
        with pytest.raises(TrusteeError, match=bad.name):
            trustees.partial_decrypt(db, kit.vote_id, bad, rng, passphrase=passphrase)
        assert board_state(db) == before, bad.name

    # A correct decryption factor, offered under another owner's name or an owner outside 1..n.
    with db.begin() as s:
        el = next(e for e in elections(s, kit.vote_id) if e.local_id == "44")
        election = ElectionParams.parse(el.election_json)
        enc, _ = encrypted_tally_of(s, el, election)
        pd = compute_factor(election, enc, key1.share, rng)
        raw = pd.to_json(election.group)
    for owner in (0, 2, 4, -1):
        strong = proofs_json(prove_partial(election, enc, key1.share, owner, pd, rng))
        before = board_state(db)
        with pytest.raises(TrusteeError), db.begin() as s:
            el = next(e for e in elections(s, kit.vote_id) if e.local_id == "44")
            trustee_import.store_partial_decryption(s, el, election, enc, owner, raw, strong)
        assert board_state(db) == before, owner
    with pytest.raises(StateError):  # one real trustee is not enough
        results.decrypt_results(db, kit.vote_id)

    assert trustees.partial_decrypt(db, kit.vote_id, kit.keys[0], rng, passphrase=PASSPHRASE) == 2
    before = board_state(db)
    with pytest.raises(TrusteeError):  # once only
        trustees.partial_decrypt(db, kit.vote_id, kit.keys[0], rng, passphrase=PASSPHRASE)
    assert board_state(db) == before
    trustees.partial_decrypt(db, kit.vote_id, kit.keys[1], rng, passphrase=PASSPHRASE)
    assert results.decrypt_results(db, kit.vote_id) == {"44": [[1, 0]], "80": [[0, 1]]}


def test_a_local_where_nobody_voted_gets_a_zero_result(tmp_path: Path) -> None:
    kit = open_vote(open_db(f"sqlite:///{tmp_path / 'sv.db'}"), tmp_path, sizes={"44": 2, "80": 2})
    ballotbox.cast(kit.db, kit.vote_id, kit.ballot(kit.letters_of("44")[0], True), NOW)
    counts = run_to_bundle(kit, tmp_path / "bundle")
    assert counts == {"44": [[1, 0]], "80": [[0, 0]]}


BAD_DEFINITIONS = [
    ("unknown top-level key", lambda d: d.update(colour="red"), "'colour'"),
    ("typo in [window]", lambda d: d["window"].update(open=d["window"].pop("opens")), "'open'"),
    ("missing union", lambda d: d.pop("union"), "'union'"),
    ("k not an integer", lambda d: d["trustees"].update(k="two"), "'k'"),
    ("k above n", lambda d: d["trustees"].update(k=4), "k <= n"),
    ("typo in [[locals]]", lambda d: d["locals"][0].update(delegate=3), "'delegate'"),
    ("bad revote policy", lambda d: d.update(revote="sometimes"), "'revote'"),
    ("grace days negative", lambda d: d["eligibility"].update(grace_days=-1), "'grace_days'"),
    ("closes before opens", lambda d: d["window"].update(closes=d["window"]["opens"]), "'closes'"),
    ("unknown rule preset", lambda d: d.update(rule="no-such-rule"), "rule"),
    ("unknown group", lambda d: d.update(group="P-256"), "'group'"),
]


@pytest.mark.parametrize(
    ("change", "named"), [c[1:] for c in BAD_DEFINITIONS], ids=[c[0] for c in BAD_DEFINITIONS]
)
def test_malformed_vote_definition_names_the_key(tmp_path: Path, change, named: str) -> None:
    d = definition_dict("it-bad")
    change(d)
    path = tmp_path / "vote.toml"
    path.write_text(toml_text(d))
    with pytest.raises(DefinitionError) as info:
        load_definition(path)
    assert named in str(info.value) and str(path) in str(info.value)


def test_vote_definition_round_trips_through_toml(tmp_path: Path) -> None:
    path = tmp_path / "vote.toml"
    path.write_text(toml_text(definition_dict("it-good")))
    defn = load_definition(path)
    assert (
        defn.id == "it-good"
        and defn.opens <= NOW <= defn.closes
        and [x.id for x in defn.locals] == ["44", "80"]
    )
    path.write_text("union = [unclosed\n")
    with pytest.raises(DefinitionError, match="invalid TOML"):
        load_definition(path)
