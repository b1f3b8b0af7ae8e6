"""Malformed and incomplete archives: a named check or a one-line error, never a traceback.

Reuses the archive builder and the record-level rewriting of ``test_verify_tamper``: each archive below is
otherwise consistent (changed objects re-hashed, references updated, events re-chained), so only the intended
check can catch the change.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from test_verify_tamper import (
    GROUPS,
    NO,
    TIMESTAMP,
    YES,
    Entry,
    Setup,
    _edit_setup_object,
    failures,
    index_entries,
    make_setup,
    one_line,
    payloads,
    run_cli,
    tamper,
    write_archive,
)
from typer.testing import CliRunner

from strikevote.belenios.codec import dumps
from strikevote.belenios.errors import FormatError
from strikevote.belenios.setup import public_credentials_json
from strikevote.belenios.tally import SizedTally
from strikevote.cli.main import app
from strikevote.crypto.errors import InvalidScalar
from strikevote.crypto.group import Group
from strikevote.crypto.hashing import sha256_b64
from strikevote.simulation.archive import ElectionArchive
from strikevote.verify import archive as archive_mod
from strikevote.verify.archive import verify_archive
from strikevote.verify.stream import MAX_PENDING, EventStream
from strikevote.verify.stream import MAX_REPORTED as MAX_REPORTED_BALLOTS

HUGE = "9" * 5000  # over Python's 4300-digit limit for int(str)


@pytest.fixture(scope="module")
def setup() -> Setup:
    return make_setup()


@pytest.fixture(scope="module")
def honest(setup: Setup, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 voters (yes, no, yes), 1 Single + 2-of-3 Pedersen trustees, all decrypting."""
    path = tmp_path_factory.mktemp("bad-input") / "honest.bel"
    write_archive(path, setup, [setup.ballot(0, YES), setup.ballot(1, NO), setup.ballot(2, YES)])
    return path


def _tally_objects(entries: list[Entry]) -> dict[str, Entry]:
    """The data objects of the tally phase, by the name of the field they are parsed as."""
    data, _ = index_entries(entries)
    sized = payloads(entries, "EncryptedTally")[0]
    owned = payloads(entries, "PartialDecryption")[0]
    return {
        "sized_encrypted_tally": sized,
        "encrypted_tally": data[sized.json()["encrypted_tally"]],
        "owned_partial_decryption": owned,
        "partial_decryption": data[owned.json()["payload"]],
        "result": payloads(entries, "Result")[0],
    }


def _event_index(entries: list[Entry], event_type: str, nth: int = 0) -> int:
    return [i for i, e in enumerate(entries) if e.kind == "event" and e.json()["type"] == event_type][nth]


# --- 1. invalid UTF-8, oversized decimals: one line, never a traceback ---------------------------------------------


def _break_utf8(content: bytes) -> bytes:
    return content[:-1] + b"\xff" + content[-1:]


@pytest.mark.parametrize(
    "field",
    [
        "election.json",
        "trustees.json",
        "sized_encrypted_tally",
        "encrypted_tally",
        "owned_partial_decryption",
        "partial_decryption",
        "result",
    ],
)
def test_cli_data_object_not_utf8(honest: Path, tmp_path: Path, field: str) -> None:
    def edit(entries: list[Entry]) -> None:
        if field.endswith(".json"):
            _edit_setup_object(entries, field.removesuffix(".json"), _break_utf8)
        else:
            target = _tally_objects(entries)[field]
            target.content = _break_utf8(target.content)

    code, out, err = run_cli(tamper(honest, tmp_path / "u.bel", edit))
    assert code == 2, (code, out, err)
    line = one_line(err)
    assert "u.bel" in line and f" {field}: not valid UTF-8" in line, line


@pytest.mark.parametrize("group", GROUPS, ids=lambda g: g.name)
def test_decode_scalar_checks_the_length_before_int(group: Group[Any]) -> None:
    digits = len(str(group.q))
    for s in (HUGE, "1" + "0" * digits, str(group.q)):
        with pytest.raises(InvalidScalar):
            group.decode_scalar(s)
    assert group.decode_scalar(str(group.q - 1)) == group.q - 1


@pytest.mark.parametrize("jobs", [1, 2])  # 2: the worker pool must survive it
@pytest.mark.parametrize("where", ["signature", "individual", "overall"])
def test_ballot_with_a_huge_scalar_fails_format(setup: Setup, tmp_path: Path, where: str, jobs: int) -> None:
    obj = json.loads(setup.ballot(1, NO))
    answer = obj["answers"][0]
    proof = {
        "signature": obj["signature"]["proof"],
        "individual": answer["individual_proofs"][1][0],
        "overall": answer["overall_proof"][0],
    }[where]
    proof["response"] = HUGE
    path = tmp_path / "s.bel"
    write_archive(path, setup, [setup.ballot(0, YES), dumps(obj), setup.ballot(2, YES)], counted=[0, 2])
    report, _ = verify_archive(path, jobs=jobs)
    assert {c.name for c in report.failures} == {"ballot.format", "ballot.all"}
    (bad,) = [c for c in report.failures if c.name == "ballot.format"]
    assert "ballot #2" in bad.detail and "out of range" in bad.detail, bad.detail


def test_cli_trustee_pok_with_a_huge_scalar(honest: Path, tmp_path: Path) -> None:
    def change(content: bytes) -> bytes:
        obj = json.loads(content)
        obj[0][1]["pok"]["challenge"] = HUGE  # the Single trustee
        return dumps(obj).encode()

    path = tamper(honest, tmp_path / "p.bel", lambda entries: _edit_setup_object(entries, "trustees", change))
    code, out, err = run_cli(path)
    assert code == 1, (code, out, err)
    line = one_line(err)
    assert "p.bel" in line and "trustees.json" in line and "pok" in line, line


@pytest.mark.parametrize("weight", ["²", "١", HUGE, "1" * 13, "0", "-1", "+1"])
def test_cli_bad_credential_weight(honest: Path, tmp_path: Path, weight: str) -> None:
    def change(content: bytes) -> bytes:
        creds = json.loads(content)
        creds[0] = f"{creds[0]},{weight}"
        return dumps(creds).encode()

    path = tamper(honest, tmp_path / "w.bel", lambda e: _edit_setup_object(e, "credentials", change))
    code, out, err = run_cli(path)
    assert code == 1, (code, out, err)
    line = one_line(err)
    assert "w.bel" in line and "public credentials[0] weight" in line, line


def test_credential_weight_is_used(setup: Setup, tmp_path: Path) -> None:
    """A valid weight still parses and counts (the stricter parsing refuses only what was never valid)."""
    e, g = setup.election, setup.group
    path = tmp_path / "weighted.bel"
    weights = [3, 1, 1, 1]
    archive = ElectionArchive.create(
        path, e, setup.trustees, public_credentials_json(g, [c.public for c in setup.creds], weights),
        timestamp=TIMESTAMP,
    )  # fmt: skip
    archive.add_ballot(setup.ballot(0, YES))
    archive.close()
    report, facts = verify_archive(path, jobs=1)
    assert report.valid, report.failures
    assert facts.credentials == 4


@pytest.mark.parametrize("total", ["²", HUGE, "1" * 31, "", "3 "])
def test_sized_tally_total_weight_string(total: str) -> None:
    raw = dumps({"num_tallied": 3, "total_weight": total, "encrypted_tally": "ab" * 32})
    with pytest.raises(FormatError, match=r"sized_encrypted_tally\.total_weight"):
        SizedTally.parse(raw)
    ok = dumps({"num_tallied": 3, "total_weight": "3", "encrypted_tally": "ab" * 32})
    assert SizedTally.parse(ok).total_weight == 3


@pytest.mark.parametrize("total", ["²", HUGE])
def test_cli_total_weight_string(honest: Path, tmp_path: Path, total: str) -> None:
    def edit(entries: list[Entry]) -> None:
        sized = _tally_objects(entries)["sized_encrypted_tally"]
        sized.set_json({**sized.json(), "total_weight": total})

    code, out, err = run_cli(tamper(honest, tmp_path / "t.bel", edit))
    assert code == 1, (code, out, err)
    line = one_line(err)
    assert "t.bel" in line and "total_weight" in line, line


@pytest.mark.parametrize(
    "exc", [ValueError("boom\nsecond line"), UnicodeError("bad"), RecursionError("deep")]
)
def test_cli_last_resort_is_one_line(
    honest: Path, monkeypatch: pytest.MonkeyPatch, exc: BaseException
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise exc

    monkeypatch.setattr(archive_mod, "verify_archive", broken)
    code, out, err = run_cli(honest)
    assert code == 2, (code, out, err)
    assert "honest.bel" in one_line(err)


def test_deeply_nested_json_is_unreadable(honest: Path, tmp_path: Path) -> None:
    def edit(entries: list[Entry]) -> None:
        target = _tally_objects(entries)["result"]
        target.content = b'{"result":' + b"[" * 100_000 + b"]" * 100_000 + b"}"

    code, out, err = run_cli(tamper(honest, tmp_path / "n.bel", edit))
    assert code == 2, (code, out, err)
    assert "n.bel" in one_line(err)


# --- 2. an archive that stops early: valid but incomplete, and said so ---------------------------------------------


def _cut_after(event_type: str) -> Callable[[list[Entry]], None]:
    """Keep the archive up to (and with) the first event of this type: an election in progress."""

    def edit(entries: list[Entry]) -> None:
        del entries[_event_index(entries, event_type) + 1 :]

    return edit


def run_cli_args(path: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner(env={"COLUMNS": "400"}).invoke(app, ["verify", "--jobs", "1", *args, str(path)])
    assert "Traceback" not in result.output, result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"the CLI raised {result.exception!r}\n{result.output}")
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("last", "says"),
    [
        ("Ballot", "the election is still open (no EndBallots)"),
        ("EndBallots", "no EncryptedTally"),
        ("EncryptedTally", "the archive has no Result: the tally was not decrypted"),
        ("PartialDecryption", "the archive has no Result: the tally was not decrypted"),
    ],
)
def test_incomplete_archive_is_reported(honest: Path, tmp_path: Path, last: str, says: str) -> None:
    path = tamper(honest, tmp_path / "open.bel", _cut_after(last))
    report, facts = verify_archive(path, jobs=1)
    assert report.valid, report.failures
    assert facts.result is None
    (check,) = report.incomplete
    assert check.name == "archive.complete" and says in check.detail, check.detail
    code, out, _err = run_cli_args(path, "--quiet")
    assert code == 0, out
    last_line = out.strip().splitlines()[-1]
    assert last_line.startswith("VALID BUT INCOMPLETE") and says in last_line, last_line
    assert "INCOMPLETE archive.complete" in out  # printed even with --quiet
    code, out, _err = run_cli_args(path, "--require-complete")
    assert code == 1, out


def test_open_election_from_the_writer(setup: Setup, tmp_path: Path) -> None:
    """An open election as the ballot box writes it (Setup, Ballot*), no tampering involved."""
    path = tmp_path / "box.bel"
    archive = ElectionArchive.create(
        path, setup.election, setup.trustees,
        public_credentials_json(setup.group, [c.public for c in setup.creds]), timestamp=TIMESTAMP,
    )  # fmt: skip
    archive.add_ballot(setup.ballot(0, YES))
    archive.add_ballot(setup.ballot(1, NO))
    archive.close()
    report, facts = verify_archive(path, jobs=1)
    assert report.valid and facts.ballots == 2
    assert [c.name for c in report.incomplete] == ["archive.complete"]
    assert "2 ballot(s) checked so far" in report.incomplete[0].detail


def test_complete_archive_passes_archive_complete(honest: Path) -> None:
    report, _ = verify_archive(honest, jobs=1)
    assert report.valid and not report.incomplete
    assert any(c.name == "archive.complete" and c.passed for c in report.checks)
    code, out, _err = run_cli_args(honest, "--require-complete")
    assert code == 0 and "INCOMPLETE" not in out, out


def test_incomplete_and_invalid_is_invalid(honest: Path, tmp_path: Path) -> None:
    def edit(entries: list[Entry]) -> None:
        _cut_after("EncryptedTally")(entries)
        sized = payloads(entries, "EncryptedTally")[0]
        sized.set_json({**sized.json(), "num_tallied": 7})

    path = tamper(honest, tmp_path / "bad-open.bel", edit)
    assert failures(path) == {"tally.num-tallied"}
    code, out, _err = run_cli_args(path)
    assert code == 1 and out.strip().splitlines()[-1].startswith("INVALID"), out


# --- 3. a repeated partial decryption -------------------------------------------------------------------------


def test_partial_decryption_event_repeated_without_its_data(honest: Path, tmp_path: Path) -> None:
    """The same PartialDecryption event twice, its data objects written once: a repeated decryption."""

    def edit(entries: list[Entry]) -> None:
        i = _event_index(entries, "PartialDecryption")
        entries.insert(i + 1, copy.deepcopy(entries[i]))

    path = tamper(honest, tmp_path / "pd.bel", edit)
    assert failures(path) == {"decryption.owner"}
    report, _ = verify_archive(path, jobs=1)
    (check,) = report.failures
    assert "two partial decryptions from trustee 1" in check.detail


def test_partial_decryption_repeated_with_its_data(honest: Path, tmp_path: Path) -> None:
    """The same, as belenios-tool would write it (data objects again before the event)."""

    def edit(entries: list[Entry]) -> None:
        i = _event_index(entries, "PartialDecryption")
        entries[i + 1 : i + 1] = copy.deepcopy(entries[i - 2 : i + 1])

    assert failures(tamper(honest, tmp_path / "pd.bel", edit)) == {"decryption.owner"}


def test_partial_decryption_of_another_trustee_reused(setup: Setup, tmp_path: Path) -> None:
    """Trustee 4 (not needed, did not decrypt) presents trustee 3's partial decryption, by reference only."""
    src = tmp_path / "src.bel"
    write_archive(src, setup, [setup.ballot(0, YES), setup.ballot(1, NO)], decrypting=[1, 2, 3])

    def edit(entries: list[Entry]) -> None:
        owned3 = next(p for p in payloads(entries, "PartialDecryption") if p.json()["owner"] == 3)
        owned4 = dumps({"owner": 4, "payload": owned3.json()["payload"]}).encode()
        name = hashlib.sha256(owned4).hexdigest()
        event = dumps({"height": 0, "type": "PartialDecryption", "payload": name}).encode()
        at = _event_index(entries, "Result") - 1  # before the result's data object
        ts = entries[at].timestamp
        entries[at:at] = [Entry("data", name, owned4, ts), Entry("event", None, event, ts)]

    assert failures(tamper(src, tmp_path / "pd.bel", edit)) == {"decryption.partial"}


# --- 4. a ballot that is not UTF-8 ----------------------------------------------------------------------------


def test_ballot_not_utf8_fails_format_with_the_tracker_of_its_bytes(setup: Setup, tmp_path: Path) -> None:
    src = tmp_path / "src.bel"
    write_archive(src, setup, [setup.ballot(0, YES), setup.ballot(1, NO)], counted=[0])
    bad: list[bytes] = []

    def edit(entries: list[Entry]) -> None:
        ballot = payloads(entries, "Ballot")[1]
        ballot.content = ballot.content.replace(b'"election_uuid":"', b'"election_uuid":"\xff', 1)
        bad.append(ballot.content)

    report, _ = verify_archive(tamper(src, tmp_path / "b.bel", edit), jobs=1)
    assert {c.name for c in report.failures} == {"ballot.format", "ballot.all"}
    (check,) = [c for c in report.failures if c.name == "ballot.format"]
    assert f"ballot #2 (tracker {sha256_b64(bad[0])})" in check.detail and "UTF-8" in check.detail, (
        check.detail
    )


# --- 6. unreferenced data objects -------------------------------------------------------------------------------


def _junk(i: int) -> Entry:
    content = dumps({"junk": i}).encode()
    return Entry("data", hashlib.sha256(content).hexdigest(), content, TIMESTAMP)


def test_data_object_not_referenced_by_the_next_event(honest: Path, tmp_path: Path) -> None:
    def edit(entries: list[Entry]) -> None:
        entries.insert(_event_index(entries, "Ballot", 0) + 1, _junk(0))  # before the second ballot's data

    path = tamper(honest, tmp_path / "j.bel", edit)
    assert failures(path) == {"archive.unreferenced"}
    report, _ = verify_archive(path, jobs=1)
    detail = next(c.detail for c in report.failures)
    assert "not referenced by the Ballot event at height 2" in detail, detail


def test_data_object_after_the_last_event(honest: Path, tmp_path: Path) -> None:
    path = tamper(honest, tmp_path / "j.bel", lambda entries: entries.append(_junk(0)))
    assert failures(path) == {"archive.unreferenced"}


def test_pending_data_objects_are_bounded(
    honest: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many data objects between two events (here before the Setup's own): at most MAX_PENDING are held, the
    oldest dropped and reported; the Setup's objects, written right before it, still resolve."""
    n = 5 * MAX_PENDING

    def edit(entries: list[Entry]) -> None:
        entries[1:1] = [_junk(i) for i in range(n)]  # right after the BELENIOS header

    path = tamper(honest, tmp_path / "many.bel", edit)
    most = 0
    take = EventStream.take

    def watched(self: Any, *args: Any, **kwargs: Any) -> bytes:
        nonlocal most
        most = max(most, len(self.pending))
        return take(self, *args, **kwargs)

    monkeypatch.setattr(EventStream, "take", watched)
    report, facts = verify_archive(path, jobs=1)
    assert {c.name for c in report.failures} == {"archive.unreferenced"}
    assert most <= MAX_PENDING
    assert facts.result == [[2, 1]]
    named = [c for c in report.failures if c.name == "archive.unreferenced"]
    assert len(named) == MAX_REPORTED_BALLOTS + 1  # the first ones, then the summary
    assert f"{n} data object(s) referenced by no event" in named[-1].detail


# --- the credential list, checked in the worker pool ---------------------------------------------------------------


@pytest.mark.parametrize("group_name", ["Ed25519", "BELENIOS-2048"])
def test_credentials_checked_in_the_pool_find_the_same_bad_ones(group_name: str) -> None:
    """Past POOL_CREDENTIALS the list is checked by worker processes: the same verdict, index for index."""
    from strikevote.crypto.groups import group_by_name
    from strikevote.verify.ballots import POOL_CREDENTIALS, invalid_credentials

    g = group_by_name(group_name)
    n = POOL_CREDENTIALS + 100 if group_name == "Ed25519" else POOL_CREDENTIALS + 1
    good = g.encode(g.g_pow(12345))
    creds = [good] * n
    # not canonical, not an element, and the identity, spread over several chunks
    if group_name == "Ed25519":
        non_canonical, not_element = good.upper(), "1" + good[1:]
    else:
        non_canonical, not_element = "0" + good, "0"
    bad_at = {3: non_canonical, n // 2: not_element, n - 1: g.encode(g.one)}
    for i, value in bad_at.items():
        creds[i] = value
    pooled = invalid_credentials(group_name, creds, jobs=2)
    assert set(pooled) == set(bad_at)
    assert pooled == invalid_credentials(group_name, creds, jobs=1)
