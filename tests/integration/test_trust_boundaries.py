"""Issue 7 through the real services: the credential list (defects 5, 6), trustees who verify before they
decrypt (defect 2), the committee's export/import refusing bad input, and the forged decryption caught by the
bundle (defect 1) end to end, with belenios-tool accepting the very archive our verification rejects."""

from __future__ import annotations

import base64
import email
import email.message
import email.policy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner
from vote_kit import NOW, PASSPHRASE, Kit, belenios_verify, board_state, open_vote

from forgery import colluding_ballot, forged_partial, plan, weak_style_strong_proofs
from strikevote.belenios.ballot import parse_ballot
from strikevote.belenios.codec import dumps
from strikevote.belenios.election import ElectionParams
from strikevote.belenios.strong_proofs import proofs_json
from strikevote.belenios.tally import SizedTally, add_to_tally, empty_tally, owned_json, tally_json
from strikevote.cli.ballot_cmd import read_letter
from strikevote.cli.main import app
from strikevote.crypto import threshold
from strikevote.crypto.credentials import derive_secret
from strikevote.crypto.hashing import sha256_b64
from strikevote.crypto.randomness import DeterministicRandomness, SystemRandomness
from strikevote.db import models
from strikevote.db.engine import open_db
from strikevote.services import ballotbox, credentials, results, tally, trustee_import, trustees
from strikevote.services.board import Board
from strikevote.services.errors import TrusteeError
from strikevote.services.tally import counted_ballots
from strikevote.services.votes import elections
from strikevote.trustee import keyfile, steps
from strikevote.trustee.errors import TrusteeFileError, TrusteeRefusal
from strikevote.trustee.messages import message_json, parse_export
from strikevote.verify.archive import verify_archive
from strikevote.verify.bundle import verify_bundle

runner = CliRunner()


def _kit(tmp_path: Path, **kw: Any) -> Kit:
    return open_vote(open_db(f"sqlite:///{tmp_path / 'sv.db'}"), tmp_path, **kw)


def _election_row(kit: Kit, local: str) -> models.Election:
    with kit.db() as s:
        return next(e for e in elections(s, kit.vote_id) if e.local_id == local)


def _publish(kit: Kit, out: Path) -> None:
    results.decrypt_results(kit.db, kit.vote_id)
    results.publish(kit.db, kit.vote_id, out)


# --- defects 5 and 6: the credential list -----------------------------------------------------------------------


def test_credentials_are_stored_in_an_order_unrelated_to_members(tmp_path: Path) -> None:
    kit = _kit(tmp_path, sizes={"44": 8, "80": 8})
    for local in ("44", "80"):
        el, election = _election_row(kit, local), kit.elections[local]
        g = election.group
        by_member = [  # each member's public credential, in member-id order (the order letters were written)
            g.encode(g.g_pow(derive_secret(g, election.uuid, read_letter(x.path).credential)))
            for x in kit.letters_of(local)
        ]
        with kit.db() as s:
            stored = list(
                s.scalars(
                    text("SELECT public FROM credentials WHERE election_id = :e ORDER BY rowid"), {"e": el.id}
                )
            )
        assert sorted(stored) == sorted(by_member)
        assert stored == sorted(by_member)  # insertion order is a function of the credentials alone
        assert stored != by_member  # and not the members' order (8! orders: equal by chance 1 in 40,320)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> tuple[Kit, Path]:
    tmp = tmp_path_factory.mktemp("fingerprints")
    kit = _kit(tmp, sizes={"44": 3, "80": 3})
    for local, yes in (("44", True), ("80", False)):
        ballotbox.cast(kit.db, kit.vote_id, kit.ballot(kit.letters_of(local)[0], yes), NOW)
    tally.close_and_tally(kit.db, kit.vote_id)
    for i in (1, 3):
        trustees.partial_decrypt(
            kit.db, kit.vote_id, kit.keys[i - 1], SystemRandomness(), passphrase=PASSPHRASE
        )
    _publish(kit, tmp / "bundle")
    return kit, tmp / "bundle"


def _letter_text(path: Path) -> str:
    """A letter's plain-text part, decoded (letters are quoted-printable MIME)."""
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    body = msg.get_body(("plain",))
    assert isinstance(body, email.message.EmailMessage)
    return str(body.get_content())


def test_credential_fingerprint_on_letters_in_vote_json_and_checked(
    bundle: tuple[Kit, Path], tmp_path: Path
) -> None:
    kit, out = bundle
    vote = json.loads((out / "vote.json").read_text())
    fps = {}
    for entry in vote["elections"]:
        lid = entry["local"]
        with kit.db() as s:
            fp = credentials.credentials_fingerprint(s, _election_row(kit, lid))
        _report, facts = verify_archive(out / "locals" / f"{lid}.bel", jobs=1)
        assert fp == facts.credentials_fingerprint == entry["credentials_fingerprint"]
        assert all("Credential list fingerprint of" in _letter_text(x.path) for x in kit.letters_of(lid))
        assert all(fp in _letter_text(x.path) for x in kit.letters_of(lid))
        fps[lid] = fp
    assert fps["44"] != fps["80"]
    assert verify_bundle(out, jobs=1, credentials_fingerprints=fps).valid
    # a fingerprint from a letter that does not match: the list on the board is not the one the CA committed to
    report = verify_bundle(out, jobs=1, credentials_fingerprints={"44": fps["80"]})
    assert {c.name for c in report.failures} == {"credentials.fingerprint"}
    r = runner.invoke(app, ["verify", str(out), "-j", "1", "--credentials-fingerprint", f"44={fps['80']}"])
    assert r.exit_code == 1 and "credentials.fingerprint" in r.stdout
    r = runner.invoke(app, ["verify", str(out), "-j", "1", "--credentials-fingerprint", "44"])
    assert r.exit_code == 2 and "LOCAL=FP" in r.stderr
    # vote.json publishing another fingerprint than its archive's
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    vote["elections"][0]["credentials_fingerprint"] = sha256_b64("another list")
    (copy / "vote.json").write_text(json.dumps(vote, indent=2))
    assert {c.name for c in verify_bundle(copy, jobs=1).failures} == {"bundle.credentials-fingerprint"}


def test_bare_archive_warns_that_belenios_proofs_do_not_bind(bundle: tuple[Kit, Path]) -> None:
    _, out = bundle
    r = runner.invoke(app, ["verify", str(out / "locals" / "44.bel"), "-j", "1"])
    assert r.exit_code == 0, r.output
    assert "do not bind the ciphertext" in " ".join(r.stdout.split())
    r = runner.invoke(app, ["verify", str(out), "-j", "1"])
    assert r.exit_code == 0 and "do not bind" not in r.stdout
    assert "decryption.strong-proof" in r.stdout


def test_bundle_without_strong_proofs_fails(bundle: tuple[Kit, Path], tmp_path: Path) -> None:
    _, out = bundle
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    (copy / "locals" / "44.proofs.json").unlink()
    doc = json.loads((copy / "locals" / "80.proofs.json").read_text())
    doc["trustees"] = doc["trustees"][:1]  # one trustee's proofs dropped
    (copy / "locals" / "80.proofs.json").write_text(dumps(doc))
    report = verify_bundle(copy, jobs=1)
    assert {c.name for c in report.failures} == {"bundle.proofs", "decryption.strong-proof"}
    assert any("44.proofs.json is missing" in c.detail for c in report.failures)
    assert any("has no strong proof" in c.detail for c in report.failures)


# --- defect 2: the trustee verifies the archive before decrypting ----------------------------------------------


def _malicious_close(kit: Kit, swap_local: str) -> None:
    """The server closes the vote but publishes, for ``swap_local``, the tally of its first ballot alone."""
    with kit.db.begin() as s:
        vote = s.get(models.Vote, kit.vote_id)
        assert vote is not None
        for el in elections(s, kit.vote_id):
            election = ElectionParams.parse(el.election_json)
            g = election.group
            raws = counted_ballots(s, el.id)
            if el.local_id == swap_local:
                raws = raws[:1]  # one member's ballot: decrypting it reveals that member's vote
            enc = empty_tally(election)
            for raw in raws:
                add_to_tally(g, enc, parse_ballot(g, raw).answers)
            board = Board(s, el.id)
            board.add_event("EndBallots")
            h = board.add_data(tally_json(g, enc))
            board.add_event("EncryptedTally", board.add_data(SizedTally(len(raws), len(raws), h).to_json()))
        vote.state = "closed"


def test_trustee_refuses_a_tally_that_is_one_members_ballot(tmp_path: Path) -> None:
    kit = _kit(tmp_path, sizes={"44": 3, "80": 2})
    for i, letter in enumerate(kit.letters_of("44")):
        ballotbox.cast(kit.db, kit.vote_id, kit.ballot(letter, i == 0), NOW)
    _malicious_close(kit, "44")
    before = board_state(kit.db)
    with pytest.raises(
        TrusteeError, match=r"local 44: the archive does not verify \(failed .*tally.encrypted-tally"
    ):
        trustees.partial_decrypt(kit.db, kit.vote_id, kit.keys[0], SystemRandomness(), passphrase=PASSPHRASE)
    assert board_state(kit.db) == before


# --- bad input to the trustee's commands and to the committee's import ------------------------------------------


@pytest.fixture
def closed(tmp_path: Path) -> tuple[Kit, bytes]:
    kit = _kit(tmp_path, sizes={"44": 2, "80": 2})
    ballotbox.cast(kit.db, kit.vote_id, kit.ballot(kit.letters_of("44")[0], True), NOW)
    tally.close_and_tally(kit.db, kit.vote_id)
    return kit, trustees.export_for_trustee(kit.db, kit.vote_id)


def _decryption(kit: Kit, export: bytes, index: int = 1) -> dict[str, Any]:
    key = keyfile.open_key(kit.keys[index - 1], PASSPHRASE, kit.vote_id)
    msg = steps.decrypt(parse_export(export, "export.json"), key, SystemRandomness(), "export.json", jobs=1)
    doc: dict[str, Any] = json.loads(message_json(msg))
    return doc


def test_truncated_or_altered_export_is_refused(closed: tuple[Kit, bytes]) -> None:
    kit, export = closed
    key = keyfile.open_key(kit.keys[0], PASSPHRASE, kit.vote_id)
    with pytest.raises(TrusteeFileError, match=r"export.json: not a complete JSON document \(truncated\?\)"):
        parse_export(export[: len(export) // 2], "export.json")
    doc = json.loads(export)
    bel = bytearray(base64.b64decode(doc["archives"]["44"]))
    i = bel.index(b'"num_tallied":1')  # the server claims a tally of two ballots
    bel[i : i + 15] = b'"num_tallied":2'
    doc["archives"]["44"] = base64.b64encode(bytes(bel)).decode()
    altered = parse_export(json.dumps(doc).encode(), "export.json")
    with pytest.raises(TrusteeRefusal, match=r"export.json: local 44: the archive does not verify"):
        steps.decrypt(altered, key, SystemRandomness(), "export.json", jobs=1)
    (kit.tmp / "other").mkdir()
    other = _kit(kit.tmp / "other", vote_id="it-other", sizes={"44": 2}, issue=False)
    with pytest.raises(TrusteeFileError, match="the key file of vote 'it-other', not of vote 'it-vote'"):
        keyfile.open_key(other.keys[0], PASSPHRASE, kit.vote_id)
    with pytest.raises(TrusteeFileError, match=f"{kit.keys[0]}: wrong passphrase"):
        keyfile.open_key(kit.keys[0], b"guess", kit.vote_id)


def test_import_refuses_bad_messages_and_stores_nothing(closed: tuple[Kit, bytes]) -> None:
    kit, export = closed
    good = _decryption(kit, export)
    cases: dict[str, tuple[bytes, str]] = {}

    def case(name: str, doc: Any, expect: str) -> None:
        cases[name] = (doc if isinstance(doc, bytes) else json.dumps(doc).encode(), expect)

    case("other-vote.msg", {**good, "vote": "it-other"}, "a message for vote 'it-other', not 'it-vote'")
    case("non-trustee.msg", {**good, "trustee": 9}, "vote 'it-vote' has no trustee 9")
    case("as-trustee-2.msg", {**good, "trustee": 2}, "trustee 2's decryption proof for local 44 is invalid")
    case("truncated.msg", message_json_bytes(good)[:200], "not a complete JSON document")
    bad_strong = json.loads(json.dumps(good))
    sp = json.loads(bad_strong["body"]["44"]["strong_proofs"])
    sp[0][0]["response"] = str((int(sp[0][0]["response"]) + 1) % kit.elections["44"].group.q)
    bad_strong["body"]["44"]["strong_proofs"] = json.dumps(sp)
    case("bad-strong.msg", bad_strong, "trustee 1's strong proof for local 44 is invalid")
    case("wrong-step.msg", {**good, "step": "certificate"}, "is closed; this step needs it to be keys")
    before = board_state(kit.db)
    for name, (raw, expect) in cases.items():
        path = kit.tmp / name
        path.write_bytes(raw)
        r = runner.invoke(
            app, ["trustee", "import", kit.vote_id, str(path), "--db", str(kit.db.kw["bind"].url)]
        )
        assert r.exit_code in (1, 2), (name, r.output)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and expect in lines[0] and (name in lines[0] or "closed" in expect), (
            name,
            lines,
        )
        assert board_state(kit.db) == before, name
    with kit.db() as s:
        assert s.scalars(select(models.DecryptionProof)).all() == []
    trustees.import_message(kit.db, kit.vote_id, message_json_bytes(good), "good.msg")  # the real one is fine


def message_json_bytes(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc) + "\n").encode()


def test_trustee_commands_refuse_bad_files_from_the_command_line(closed: tuple[Kit, bytes]) -> None:
    kit, export = closed
    (kit.tmp / "export.json").write_bytes(export[:-300])
    (kit.tmp / "pass").write_bytes(PASSPHRASE)
    common = ["--key-file", str(kit.keys[0]), "--passphrase-file", str(kit.tmp / "pass")]
    r = runner.invoke(
        app, ["trustee", "decrypt", "--from", str(kit.tmp / "export.json"), *common, "--out", "x"]
    )
    assert r.exit_code == 2 and "export.json: not a complete JSON document" in r.stderr
    (kit.tmp / "export.json").write_bytes(export)
    (kit.tmp / "wrong").write_text("not it\n")
    r = runner.invoke(
        app,
        ["trustee", "decrypt", "--from", str(kit.tmp / "export.json"), "--key-file", str(kit.keys[0]),
         "--passphrase-file", str(kit.tmp / "wrong"), "--out", str(kit.tmp / "m.msg")],
    )  # fmt: skip
    assert r.exit_code == 2 and f"{kit.keys[0]}: wrong passphrase" in r.stderr
    assert not (kit.tmp / "m.msg").exists()


# --- defect 1 end to end: the forged decryption through the services, the bundle rejects it -------------------


@pytest.mark.interop
@pytest.mark.parametrize("group", ["Ed25519", "BELENIOS-2048"])
def test_forged_decryption_passes_belenios_and_fails_the_bundle(
    tmp_path: Path, group: str, belenios_tool_2: str, belenios_tool_3: str
) -> None:
    kit = _kit(tmp_path, sizes={"44": 6, "80": 2}, group=group)
    election = kit.elections["44"]
    g = election.group
    letters = kit.letters_of("44")
    raws = [kit.ballot(x, yes) for x, yes in zip(letters[:5], (True, True, False, False, False), strict=True)]
    for raw in raws:
        ballotbox.cast(kit.db, kit.vote_id, raw, NOW)
    ballotbox.cast(kit.db, kit.vote_id, kit.ballot(kit.letters_of("80")[0], True), NOW)
    # trustee 1 (who will decrypt with trustee 3) plans the forgery with the last voter of local 44
    x = keyfile.open_key(kit.keys[0], PASSPHRASE, kit.vote_id).share
    assert x is not None
    alpha_rest = [g.one, g.one]
    for raw in raws:
        for j, ct in enumerate(parse_ballot(g, raw).answers[0].choices):
            alpha_rest[j] = g.mul(alpha_rest[j], ct.alpha)
    lam = threshold.lagrange_coefficient(g, [1, 3], 1)
    forgery = plan(election, g.g_pow(x), alpha_rest, [+2, -2], lam, DeterministicRandomness("forger"))
    secret = derive_secret(g, election.uuid, read_letter(letters[5].path).credential)
    ballotbox.cast(kit.db, kit.vote_id, colluding_ballot(election, secret, [[0, 1]], forgery), NOW)
    tally.close_and_tally(kit.db, kit.vote_id)  # true result of 44: Yes 2, No 4
    # the server colludes: trustee 1's forged factor for 44 goes on the board, with its best try at strong proofs
    msg = _decryption(kit, trustees.export_for_trustee(kit.db, kit.vote_id))
    with kit.db.begin() as s:
        el44 = next(e for e in elections(s, kit.vote_id) if e.local_id == "44")
        enc, _sized = tally.encrypted_tally_of(s, el44, election)
        pd = forged_partial(election, enc, x, forgery)
        board = Board(s, el44.id)
        h = board.add_data(pd.to_json(g))
        board.add_event("PartialDecryption", board.add_data(owned_json(1, h)))
        s.add(
            models.DecryptionProof(
                election_id=el44.id, owner=1, content=proofs_json(weak_style_strong_proofs(x, forgery, g.q))
            )
        )
        el80 = next(e for e in elections(s, kit.vote_id) if e.local_id == "80")
        e80 = kit.elections["80"]
        enc80, _ = tally.encrypted_tally_of(s, el80, e80)
        part = msg["body"]["80"]
        trustee_import.store_partial_decryption(
            s, el80, e80, enc80, 1, part["partial_decryption"], part["strong_proofs"]
        )
    # trustee 3, honest, verifies the archives (every Belenios check passes) and decrypts
    trustees.partial_decrypt(kit.db, kit.vote_id, kit.keys[2], SystemRandomness(), passphrase=PASSPHRASE)
    out = tmp_path / "bundle"
    _publish(kit, out)
    result = json.loads((out / "result.json").read_text())
    assert {x["id"]: (x["yes"], x["no"]) for x in result["locals"]}["44"] == (4, 2)  # forged
    tool = belenios_tool_2 if group == "BELENIOS-2048" else belenios_tool_3
    belenios_verify(tool, out / "locals" / "44.bel", tmp_path / "tool")  # the reference tool accepts it
    report = verify_bundle(out, jobs=1)
    failed = report.failures
    assert {c.name for c in failed} == {"decryption.strong-proof"}
    assert len(failed) == 1 and "local 44: trustee 1's strong proof fails" in failed[0].detail
