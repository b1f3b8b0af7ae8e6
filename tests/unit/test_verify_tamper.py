"""Tampered archives are rejected by ``verify_archive`` and ``strikevote verify``, naming the right check.

Every tampered archive is otherwise consistent: changed data objects are re-hashed to their new names, the
objects that reference them (setup data, sized tally, owned partial decryption, events) are updated, and the
events are re-chained with correct parents and heights, so that only the intended check can catch the change.
Archives are built by our own code (``ElectionArchive``) from a setup whose credentials we know, in Ed25519
(fast); a representative subset (``gsetup``/``ghonest``) runs in BELENIOS-2048 too, with tiny elections.  The CLI
tests also cover malformed input (exit 2, or 1 for a malformed ballot), never a traceback.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from strikevote.belenios.archive import BLOCK, tar_header
from strikevote.belenios.archive import read_entries as read_tar_entries
from strikevote.belenios.ballot import create_ballot, parse_ballot, proof_json
from strikevote.belenios.codec import dumps
from strikevote.belenios.election import ElectionParams
from strikevote.belenios.setup import CredentialPair, generate_credentials, new_uuid, public_credentials_json
from strikevote.belenios.tally import (
    add_to_tally,
    combine_decryptions,
    compute_factor,
    decrypt_result,
    empty_tally,
)
from strikevote.belenios.trustees import TrusteeKind, combined_public_key, decryption_keys
from strikevote.cli.main import app
from strikevote.crypto import proofs
from strikevote.crypto.credentials import derive_secret, generate_credential
from strikevote.crypto.ed25519 import ED25519
from strikevote.crypto.ff import BELENIOS_2048
from strikevote.crypto.group import Group
from strikevote.crypto.hashing import sha256_b64
from strikevote.crypto.randomness import DeterministicRandomness
from strikevote.simulation.archive import ElectionArchive
from strikevote.simulation.election import YES_NO, make_trustees
from strikevote.verify.archive import verify_archive

G = ED25519  # the group of every test that does not say otherwise
GROUPS = [ED25519, BELENIOS_2048]
TIMESTAMP = 1_800_000_000
YES, NO = [[1, 0]], [[0, 1]]


# --- an election whose secrets we hold --------------------------------------------------------------------------


@dataclass
class Setup:
    election: ElectionParams
    trustees: list[TrusteeKind]
    trustee_secrets: dict[int, int]
    creds: list[CredentialPair]
    rng: DeterministicRandomness = field(repr=False)

    @property
    def group(self) -> Group[Any]:
        return self.election.group

    def secret(self, voter: int) -> int:
        return derive_secret(self.group, self.election.uuid, self.creds[voter].private)

    def ballot(self, voter: int, plaintext: list[list[int]], seed: str = "") -> str:
        rng = DeterministicRandomness(f"ballot|{voter}|{plaintext}|{seed}")
        return create_ballot(self.election, self.secret(voter), plaintext, rng).raw


def make_setup(voters: int = 4, mode: str = "both", seed: int = 11, group: Group[Any] = G) -> Setup:
    rng = DeterministicRandomness(seed)
    uuid = new_uuid(rng)
    trustees, secrets = make_trustees(group, mode, 2, 3, rng)  # type: ignore[arg-type]
    election = ElectionParams.make(
        group=group,
        public_key=combined_public_key(group, trustees),
        uuid=uuid,
        name="Strike authorization",
        description="Strike authorization vote",
        questions=(YES_NO,),
    )
    return Setup(election, trustees, secrets, generate_credentials(group, uuid, voters, rng), rng)


def write_archive(
    path: Path,
    setup: Setup,
    raws: Sequence[str],
    *,
    counted: Sequence[int] | None = None,
    decrypting: Sequence[int] | None = None,
    result: list[list[int]] | None = None,
    tally_events: int = 1,
) -> list[list[int]]:
    """A complete archive with these ballots; the tally takes the last ballot per credential among ``counted``
    (default: all, as Belenios does), written in ``tally_events`` EncryptedTally events (more than one is out
    of order).  Returns the true result of that tally (``result`` overrides the published one)."""
    e, g = setup.election, setup.group
    archive = ElectionArchive.create(
        path,
        e,
        setup.trustees,
        public_credentials_json(g, [c.public for c in setup.creds]),
        timestamp=TIMESTAMP,
    )
    for raw in raws:
        archive.add_ballot(raw)
    archive.end_ballots()
    last: dict[str, Any] = {}
    for i, raw in enumerate(raws):
        if counted is None or i in counted:
            b = parse_ballot(g, raw)
            last[g.encode(b.credential)] = b
    tally = empty_tally(e)
    for b in last.values():
        add_to_tally(g, tally, b.answers)
    for _ in range(tally_events):
        archive.add_encrypted_tally(tally, len(last), len(last))
    partials = {}
    for tid, _t, _i, _pk in decryption_keys(setup.trustees):
        if decrypting is None or tid in decrypting:
            partials[tid] = compute_factor(e, tally, setup.trustee_secrets[tid], setup.rng)
            archive.add_partial_decryption(tid, partials[tid])
    true_result = decrypt_result(e, tally, combine_decryptions(e, setup.trustees, partials), len(last))
    archive.add_result(result if result is not None else true_result)
    archive.close()
    return true_result


# --- record-level rewriting ---------------------------------------------------------------------------------------


@dataclass
class Entry:
    """One tar record: ``name`` is its original hash (None for the BELENIOS header)."""

    kind: str
    name: str | None
    content: bytes
    timestamp: int
    keep_name: bool = False  # write under the original name even if the content changed

    def json(self) -> Any:
        return json.loads(self.content)

    def set_json(self, obj: Any) -> None:
        self.content = dumps(obj).encode()


def read_entries(path: Path) -> list[Entry]:
    out = []
    with open(path, "rb") as f:
        for rec in read_tar_entries(path):
            f.seek(rec.offset)
            ts = int(f.read(BLOCK)[136:147], 8)
            out.append(Entry(rec.kind, rec.name_hash or None, rec.content, ts))
    return out


def write_entries(
    entries: Sequence[Entry],
    dst: Path,
    event_hook: Callable[[int, dict[str, Any], list[str]], None] | None = None,
) -> None:
    """Write the records, re-hashing changed data objects, updating every reference to them and re-chaining the
    events (parent = previous event as written, height = position).  ``event_hook(height, event, written)`` may
    then alter an event (``written`` lists the names of the events already written)."""
    renamed: dict[str, str] = {}
    written: list[str] = []
    with open(dst, "wb") as f:
        for e in entries:
            content = e.content
            if e.kind == "header":
                f.write(tar_header("BELENIOS", len(content), e.timestamp))
            else:
                for old, new in renamed.items():
                    content = content.replace(old.encode(), new.encode())
                if e.kind == "event":
                    ev = json.loads(content)
                    obj: dict[str, Any] = {}
                    if written:
                        obj["parent"] = written[-1]
                    obj["height"] = len(written)
                    obj["type"] = ev["type"]
                    if "payload" in ev:
                        obj["payload"] = ev["payload"]
                    if event_hook is not None:
                        event_hook(len(written), obj, written)
                    content = dumps(obj).encode()
                name = e.name if e.keep_name else hashlib.sha256(content).hexdigest()
                assert name is not None
                if e.name and name != e.name:
                    renamed[e.name] = name
                if e.kind == "event":
                    written.append(name)
                f.write(tar_header(f"{name}.{e.kind}.json", len(content), e.timestamp))
            f.write(content + b"\x00" * (-len(content) % BLOCK))


def index_entries(entries: Sequence[Entry]) -> tuple[dict[str, Entry], list[tuple[str, Entry]]]:
    """Data objects by name, and (event type, payload entry or the event itself) in order."""
    data = {e.name: e for e in entries if e.kind == "data" and e.name}
    events = []
    for e in entries:
        if e.kind == "event":
            ev = e.json()
            events.append((ev["type"], data[ev["payload"]] if "payload" in ev else e))
    return data, events


def payloads(entries: Sequence[Entry], event_type: str) -> list[Entry]:
    return [p for t, p in index_entries(entries)[1] if t == event_type]


def tamper(
    src: Path,
    dst: Path,
    edit: Callable[[list[Entry]], None],
    event_hook: Callable[[int, dict[str, Any], list[str]], None] | None = None,
) -> Path:
    entries = read_entries(src)
    edit(entries)
    write_entries(entries, dst, event_hook)
    return dst


def failures(path: Path, **kwargs: Any) -> set[str]:
    report, _ = verify_archive(path, jobs=1, **kwargs)
    return {c.name for c in report.failures}


# --- ballot-level tampering ---------------------------------------------------------------------------------------


def swap_choices(raw: str) -> dict[str, Any]:
    obj = json.loads(raw)
    choices = obj["answers"][0]["choices"]
    choices[0], choices[1] = choices[1], choices[0]
    return obj


def resign(setup: Setup, voter: int, obj: dict[str, Any], *, sign: bool = True) -> str:
    """Recompute the signature hash over the (edited) unsigned ballot; with ``sign``, re-sign with the voter's
    credential secret (what only the voter can do)."""
    unsigned = {k: v for k, v in obj.items() if k != "signature"}
    h = sha256_b64(dumps(unsigned))
    proof = obj["signature"]["proof"]
    if sign:
        proof = proof_json(
            proofs.prove_knowledge(setup.group, setup.secret(voter), f"sig|{h}|", DeterministicRandomness(h))
        )
    return dumps({**unsigned, "signature": {"hash": h, "proof": proof}})


def bump_response(proof: dict[str, str], q: int = G.q) -> None:
    proof["response"] = str((int(proof["response"]) + 1) % q)  # still a canonical scalar in [0, q)


@pytest.fixture(scope="module")
def setup() -> Setup:
    return make_setup()


def _honest_archive(setup: Setup, path: Path) -> tuple[Path, list[str], list[list[int]]]:
    raws = [setup.ballot(0, YES), setup.ballot(1, NO), setup.ballot(2, YES), setup.ballot(3, YES)]
    result = write_archive(path, setup, raws)
    return path, raws, result


@pytest.fixture(scope="module")
def honest(setup: Setup, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], list[list[int]]]:
    """A valid archive: 4 voters (yes, no, yes, yes), 1 Single + 2-of-3 Pedersen trustees, all decrypting."""
    return _honest_archive(setup, tmp_path_factory.mktemp("honest") / "honest.bel")


@pytest.fixture(scope="module", params=GROUPS, ids=lambda g: g.name)
def gsetup(request: pytest.FixtureRequest) -> Setup:
    """The same election in each group (BELENIOS-2048 is ~5x slower: used by a representative subset only)."""
    group: Group[Any] = request.param
    return make_setup(group=group)


@pytest.fixture(scope="module")
def ghonest(
    gsetup: Setup, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, list[str], list[list[int]]]:
    """``honest`` in each group."""
    return _honest_archive(gsetup, tmp_path_factory.mktemp("ghonest") / f"{gsetup.group.name}.bel")


def test_honest_archive_is_valid(ghonest: tuple[Path, list[str], list[list[int]]]) -> None:
    path, _raws, result = ghonest
    report, facts = verify_archive(path, jobs=1)
    assert report.valid, report.failures
    assert not report.incomplete
    assert result == [[3, 1]] and facts.result == result and facts.counted == 4


def test_rewriting_without_change_is_byte_identical(
    honest: tuple[Path, list[str], Any], tmp_path: Path
) -> None:
    """The rewriting helper itself changes nothing unless asked (so each tamper below is the only change)."""
    path = honest[0]
    out = tamper(path, tmp_path / "same.bel", lambda entries: None)
    assert out.read_bytes() == path.read_bytes()


# (a) swapped ciphertexts


def test_swapped_ciphertexts_fail_signature_hash(gsetup: Setup, tmp_path: Path) -> None:
    setup = gsetup
    raws = [setup.ballot(0, YES), dumps(swap_choices(setup.ballot(1, YES))), setup.ballot(2, NO)]
    write_archive(tmp_path / "a.bel", setup, raws, counted=[0, 2])
    assert failures(tmp_path / "a.bel") == {"ballot.signature", "ballot.all"}


def test_swapped_ciphertexts_counted_anyway_fail_ballot_and_tally(setup: Setup, tmp_path: Path) -> None:
    """The belenios-tool 3.0 bug (NOTES.md item 9): the swapped ballot counted as the opposite vote."""
    raws = [setup.ballot(0, YES), dumps(swap_choices(setup.ballot(1, YES))), setup.ballot(2, NO)]
    true_result = write_archive(tmp_path / "a.bel", setup, raws)
    assert true_result == [[1, 2]]  # the voter's Yes became a No
    got = failures(tmp_path / "a.bel")
    assert {"ballot.signature", "tally.encrypted-tally", "tally.num-tallied"} <= got
    assert got <= {
        "ballot.signature",
        "ballot.all",
        "tally.encrypted-tally",
        "tally.num-tallied",
        "tally.total-weight",
    }


def test_swapped_ciphertexts_with_recomputed_hash_fail_signature_proof(setup: Setup, tmp_path: Path) -> None:
    raw = resign(setup, 1, swap_choices(setup.ballot(1, YES)), sign=False)
    b = parse_ballot(G, raw)
    assert b.signature_hash == sha256_b64(
        dumps({k: v for k, v in json.loads(raw).items() if k != "signature"})
    )
    write_archive(tmp_path / "a.bel", setup, [setup.ballot(0, YES), raw], counted=[0])
    assert failures(tmp_path / "a.bel") == {"ballot.signature", "ballot.all"}


# (b) a bad proof response


@pytest.mark.parametrize("where", ["individual", "overall"])
def test_bad_proof_response_after_signing_fails_signature(setup: Setup, tmp_path: Path, where: str) -> None:
    obj = json.loads(setup.ballot(1, NO))
    answer = obj["answers"][0]
    bump_response(answer["individual_proofs"][0][1] if where == "individual" else answer["overall_proof"][0])
    write_archive(tmp_path / "b.bel", setup, [setup.ballot(0, YES), dumps(obj)], counted=[0])
    assert failures(tmp_path / "b.bel") == {"ballot.signature", "ballot.all"}


@pytest.mark.parametrize("where", ["individual-0", "individual-1", "overall"])
def test_bad_proof_signed_by_the_voter_fails_proofs(gsetup: Setup, tmp_path: Path, where: str) -> None:
    """Corrupt a proof, then sign with the voter's credential: only the proof check can catch it."""
    setup, g = gsetup, gsetup.group
    obj = json.loads(setup.ballot(1, NO))
    answer = obj["answers"][0]
    if where == "overall":
        bump_response(answer["overall_proof"][0], g.q)
    else:
        bump_response(answer["individual_proofs"][int(where[-1])][0], g.q)
    raw = resign(setup, 1, obj)
    b = parse_ballot(g, raw)
    assert proofs.verify_knowledge(g, b.credential, b.signature, f"sig|{b.signature_hash}|")
    write_archive(tmp_path / "b.bel", setup, [setup.ballot(0, YES), raw], counted=[0])
    assert failures(tmp_path / "b.bel") == {"ballot.proofs", "ballot.all"}


def test_proof_for_a_plaintext_outside_0_1_fails_proofs(setup: Setup, tmp_path: Path) -> None:
    """A ballot encrypting 2 for Yes (a double vote), with simulated proofs and a valid signature."""
    e = setup.election
    rng = DeterministicRandomness("double")
    good = create_ballot(e, setup.secret(1), YES, rng)
    obj = json.loads(good.raw)
    r = G.random_scalar(rng)
    alpha, beta = G.g_pow(r), G.mul(G.pow(e.public_key, r), G.g_pow(2))
    obj["answers"][0]["choices"][0] = {"alpha": G.encode(alpha), "beta": G.encode(beta)}
    raw = resign(setup, 1, obj)
    write_archive(tmp_path / "d.bel", setup, [setup.ballot(0, YES), raw], counted=[0])
    assert failures(tmp_path / "d.bel") == {"ballot.proofs", "ballot.all"}


# (c) a credential that is not on the list


def test_ballot_from_unlisted_credential(gsetup: Setup, tmp_path: Path) -> None:
    setup = gsetup
    rogue = generate_credential(DeterministicRandomness("rogue"))
    secret = derive_secret(setup.group, setup.election.uuid, rogue)
    raw = create_ballot(setup.election, secret, YES, DeterministicRandomness("rogue-ballot")).raw
    write_archive(tmp_path / "c.bel", setup, [setup.ballot(0, NO), raw], counted=[0])
    assert failures(tmp_path / "c.bel") == {"ballot.credential", "ballot.all"}
    report, _ = verify_archive(tmp_path / "c.bel", jobs=1)
    (check,) = [c for c in report.failures if c.name == "ballot.credential"]
    assert check.detail.startswith("ballot #2 (tracker ") and check.detail.endswith(
        ") credential not in the list"
    )


def test_ballot_for_another_election(setup: Setup, tmp_path: Path) -> None:
    other = make_setup(seed=99)
    raw = create_ballot(other.election, setup.secret(1), YES, DeterministicRandomness("other")).raw
    write_archive(tmp_path / "o.bel", setup, [setup.ballot(0, NO), raw], counted=[0])
    assert failures(tmp_path / "o.bel") == {"ballot.election", "ballot.all"}


def test_same_ballot_twice(setup: Setup, tmp_path: Path) -> None:
    raw = setup.ballot(1, YES)
    write_archive(tmp_path / "dup.bel", setup, [setup.ballot(0, NO), raw, raw])
    assert failures(tmp_path / "dup.bel") == {"ballot.duplicate", "ballot.all"}


# revoting


def test_revote_last_counts(setup: Setup, tmp_path: Path) -> None:
    raws = [setup.ballot(0, YES), setup.ballot(1, YES), setup.ballot(2, NO), setup.ballot(0, NO)]
    result = write_archive(tmp_path / "r.bel", setup, raws)
    assert result == [[1, 2]]  # voter 0's later No replaced the Yes
    report, facts = verify_archive(tmp_path / "r.bel", jobs=1, revote_policy="last-counts")
    assert report.valid, report.failures
    assert facts.ballots == 4 and facts.counted == 3 and facts.result == [[1, 2]]


def test_revote_twice_tallies_the_last(setup: Setup, tmp_path: Path) -> None:
    """Two revotes by one voter: both earlier ballots are divided out of the streamed tally."""
    raws = [
        setup.ballot(0, YES),
        setup.ballot(1, YES),
        setup.ballot(0, NO),
        setup.ballot(0, YES, seed="third"),
    ]
    assert write_archive(tmp_path / "r.bel", setup, raws) == [[2, 0]]
    report, facts = verify_archive(tmp_path / "r.bel", jobs=2, revote_policy="last-counts")
    assert report.valid, report.failures
    assert facts.ballots == 4 and facts.counted == 2 and facts.total_weight == 2


def test_two_encrypted_tally_events_divide_the_superseded_ballots_out_once(
    setup: Setup, tmp_path: Path
) -> None:
    """A second EncryptedTally is out of order, and only that: the same (correct) tally is not reported wrong
    because the superseded ballots were divided out of the streamed product a second time."""
    raws = [setup.ballot(0, YES), setup.ballot(1, YES), setup.ballot(0, NO)]
    assert write_archive(tmp_path / "r.bel", setup, raws, tally_events=2) == [[1, 1]]
    report, facts = verify_archive(tmp_path / "r.bel", jobs=1, revote_policy="last-counts")
    assert {c.name for c in report.failures} == {"archive.event-order"}
    tallies = [c for c in report.checks if c.name == "tally.encrypted-tally"]
    assert len(tallies) == 2 and all(c.passed for c in tallies)
    assert facts.counted == 2 and facts.result == [[1, 1]]


def test_replay_of_a_superseded_ballot(setup: Setup, tmp_path: Path) -> None:
    """A, B, then A again: the replayed A is a duplicate even though B replaced it in between."""
    first = setup.ballot(0, YES)
    write_archive(tmp_path / "r.bel", setup, [first, setup.ballot(0, NO), first], counted=[0, 1])
    assert failures(tmp_path / "r.bel", revote_policy="last-counts") == {"ballot.duplicate", "ballot.all"}


def test_revote_tally_of_the_first_ballot_is_rejected(setup: Setup, tmp_path: Path) -> None:
    """An archive counting the earlier ballot of a revoting voter does not match last-counts."""
    raws = [setup.ballot(0, YES), setup.ballot(1, YES), setup.ballot(2, NO), setup.ballot(0, NO)]
    assert write_archive(tmp_path / "r.bel", setup, raws, counted=[0, 1, 2]) == [[2, 1]]
    assert failures(tmp_path / "r.bel", revote_policy="last-counts") == {"tally.encrypted-tally"}


def test_revote_forbidden(setup: Setup, tmp_path: Path) -> None:
    raws = [setup.ballot(0, YES), setup.ballot(1, YES), setup.ballot(2, NO), setup.ballot(0, NO)]
    write_archive(tmp_path / "r.bel", setup, raws)
    assert "ballot.revote" in failures(tmp_path / "r.bel", revote_policy="forbidden")
    # the first ballot stands under "forbidden": a tally of it is otherwise consistent
    write_archive(tmp_path / "f.bel", setup, raws, counted=[0, 1, 2])
    assert failures(tmp_path / "f.bel", revote_policy="forbidden") == {"ballot.revote", "ballot.all"}


# (d) wrong result, (e) bad partial decryption


def test_wrong_result(ghonest: tuple[Path, list[str], Any], tmp_path: Path) -> None:
    def edit(entries: list[Entry]) -> None:
        (result,) = payloads(entries, "Result")
        assert result.json() == {"result": [[3, 1]]}
        result.set_json({"result": [[2, 2]]})

    assert failures(tamper(ghonest[0], tmp_path / "d.bel", edit)) == {"result.result"}


def test_wrong_result_from_builder(setup: Setup, tmp_path: Path) -> None:
    raws = [setup.ballot(0, YES), setup.ballot(1, NO)]
    write_archive(tmp_path / "d.bel", setup, raws, result=[[2, 0]])
    assert failures(tmp_path / "d.bel") == {"result.result"}


def _partials(entries: list[Entry]) -> dict[int, Entry]:
    data, _ = index_entries(entries)
    return {p.json()["owner"]: data[p.json()["payload"]] for p in payloads(entries, "PartialDecryption")}


@pytest.mark.parametrize("owner", [1, 4])  # the Single trustee; the third Pedersen member (not needed)
def test_bad_partial_decryption_factor(
    gsetup: Setup, ghonest: tuple[Path, list[str], Any], tmp_path: Path, owner: int
) -> None:
    g = gsetup.group

    def edit(entries: list[Entry]) -> None:
        pd = _partials(entries)[owner]
        obj = pd.json()
        obj["decryption_factors"][0][0] = g.encode(g.g_pow(12345))  # a valid element, the wrong one
        pd.set_json(obj)

    got = failures(tamper(ghonest[0], tmp_path / "e.bel", edit))
    if owner == 4:  # two other Pedersen members decrypted: the result still follows
        assert got == {"decryption.partial"}
    else:  # without the Single trustee's factor nothing decrypts
        assert "decryption.partial" in got and got <= {"decryption.partial", "result.decryption"}


def test_bad_partial_decryption_proof(
    gsetup: Setup, ghonest: tuple[Path, list[str], Any], tmp_path: Path
) -> None:
    def edit(entries: list[Entry]) -> None:
        pd = _partials(entries)[3]
        obj = pd.json()
        bump_response(obj["decryption_proofs"][0][1], gsetup.group.q)
        pd.set_json(obj)

    assert failures(tamper(ghonest[0], tmp_path / "e.bel", edit)) == {"decryption.partial"}


def test_partial_decryption_from_unknown_trustee(honest: tuple[Path, list[str], Any], tmp_path: Path) -> None:
    def edit(entries: list[Entry]) -> None:
        owned = payloads(entries, "PartialDecryption")[-1]
        owned.set_json({**owned.json(), "owner": 9})

    assert "decryption.owner" in failures(tamper(honest[0], tmp_path / "e.bel", edit))


# (f) event chain, (g) a dropped ballot, (h) file hash


@pytest.mark.parametrize("target", ["Ballot", "EndBallots", "Result"])
def test_broken_event_chain(ghonest: tuple[Path, list[str], Any], tmp_path: Path, target: str) -> None:
    honest = ghonest
    types = [e.json()["type"] for e in read_entries(honest[0]) if e.kind == "event"]
    height = types.index(target) + (1 if target == "Ballot" else 0)  # the second ballot

    def hook(h: int, ev: dict[str, Any], written: list[str]) -> None:
        if h == height:
            ev["parent"] = written[-2]  # skips the previous event; the next event chains to this one

    assert failures(tamper(honest[0], tmp_path / "f.bel", lambda e: None, hook)) == {"archive.event-chain"}


def test_wrong_event_height(honest: tuple[Path, list[str], Any], tmp_path: Path) -> None:
    def hook(h: int, ev: dict[str, Any], written: list[str]) -> None:
        if h == 3:
            ev["height"] = 7

    assert "archive.event-chain" in failures(tamper(honest[0], tmp_path / "f.bel", lambda e: None, hook))


def test_ballot_dropped_after_tally(ghonest: tuple[Path, list[str], Any], tmp_path: Path) -> None:
    honest = ghonest

    def edit(entries: list[Entry]) -> None:
        second = payloads(entries, "Ballot")[1]
        event = next(e for e in entries if e.kind == "event" and e.json().get("payload") == second.name)
        entries.remove(second)
        entries.remove(event)

    got = failures(tamper(honest[0], tmp_path / "g.bel", edit))
    assert (
        {"tally.encrypted-tally", "tally.num-tallied"}
        <= got
        <= {"tally.encrypted-tally", "tally.num-tallied", "tally.total-weight"}
    )


def test_ballot_added_after_tally(setup: Setup, honest: tuple[Path, list[str], Any], tmp_path: Path) -> None:
    """A valid ballot slipped in among the others, but not in the tally."""
    extra = setup.ballot(1, YES, seed="late")  # a revote of voter 1: valid, and would change the tally

    def edit(entries: list[Entry]) -> None:
        last_ballot = payloads(entries, "Ballot")[-1]
        event = next(e for e in entries if e.kind == "event" and e.json().get("payload") == last_ballot.name)
        at = entries.index(event) + 1
        name = hashlib.sha256(extra.encode()).hexdigest()
        new_event = dumps({"height": 0, "type": "Ballot", "payload": name}).encode()  # re-chained on writing
        entries[at:at] = [
            Entry("data", name, extra.encode(), event.timestamp),
            Entry("event", None, new_event, event.timestamp),
        ]

    got = failures(tamper(honest[0], tmp_path / "g.bel", edit))
    assert "tally.encrypted-tally" in got and got <= {"tally.encrypted-tally", "tally.num-tallied"}


def test_unreferenced_file_with_wrong_name(honest: tuple[Path, list[str], Any], tmp_path: Path) -> None:
    """A junk file before the Result event: its name is wrong, and the Result event does not reference it."""

    def edit(entries: list[Entry]) -> None:
        junk = b'{"result":[[0,4]]}'
        entries.insert(-1, Entry("data", "ab" * 32, junk, entries[-1].timestamp, keep_name=True))

    assert failures(tamper(honest[0], tmp_path / "h.bel", edit)) == {
        "archive.file-hash",
        "archive.unreferenced",
    }


def _edit_result_in_place(entries: list[Entry]) -> None:
    (result,) = payloads(entries, "Result")
    result.set_json({"result": [[1, 3]]})
    result.keep_name = True


def test_referenced_file_whose_content_does_not_match_its_name(
    honest: tuple[Path, list[str], Any], tmp_path: Path
) -> None:
    """The published result edited in place (same file name): the report names archive.file-hash."""
    path = tamper(honest[0], tmp_path / "h.bel", _edit_result_in_place)
    assert "archive.file-hash" in failures(path)


def test_cli_referenced_file_whose_content_does_not_match_its_name(
    honest: tuple[Path, list[str], Any], tmp_path: Path
) -> None:
    code, out, err = run_cli(tamper(honest[0], tmp_path / "h.bel", _edit_result_in_place))
    assert code == 1, (code, out, err)
    assert "INVALID" in out + err


# --- the command line: exit codes and messages ---------------------------------------------------------------------


def run_cli(path: Path) -> tuple[int, str, str]:
    # a wide terminal: Rich wraps at 80 columns when not on a tty, which would split the details we grep for
    result = CliRunner(env={"COLUMNS": "400"}).invoke(app, ["verify", "--jobs", "1", str(path)])
    assert "Traceback" not in result.output, result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"the CLI raised {result.exception!r}\n{result.output}")
    return result.exit_code, result.stdout, result.stderr


def test_cli_valid(honest: tuple[Path, list[str], Any]) -> None:
    code, out, _err = run_cli(honest[0])
    assert code == 0 and "VALID" in out


def test_cli_invalid_names_the_check(honest: tuple[Path, list[str], Any], tmp_path: Path) -> None:
    def edit(entries: list[Entry]) -> None:
        (result,) = payloads(entries, "Result")
        result.set_json({"result": [[4, 0]]})

    code, out, _err = run_cli(tamper(honest[0], tmp_path / "bad.bel", edit))
    assert code == 1
    assert "INVALID" in out and "result.result" in out


def test_cli_missing_file(tmp_path: Path) -> None:
    code, _out, err = run_cli(tmp_path / "nothing.bel")
    assert code == 2 and "nothing.bel" in err


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def assert_rejected(code: int, out: str, err: str, *names: str) -> None:
    """Exit 2 (unreadable) with one line on stderr naming ``names``, or 1 (invalid) naming them somewhere."""
    assert code in (1, 2), (code, out, err)
    text = one_line(err) if code == 2 else out + err
    if code == 1:
        assert "INVALID" in text, text
    for name in names:
        assert name in text, (name, text)


def _record_offsets(path: Path) -> list[int]:
    return [rec.offset for rec in read_tar_entries(path)]


@pytest.mark.parametrize(
    "where", ["in-first-header", "in-header", "in-content", "in-last-content", "half-a-block"]
)
def test_cli_truncated_archive(honest: tuple[Path, list[str], Any], tmp_path: Path, where: str) -> None:
    data = honest[0].read_bytes()
    offsets = _record_offsets(honest[0])
    cut = {
        "in-first-header": 100,
        "in-header": offsets[3] + 200,
        "in-content": offsets[5] + BLOCK + 20,
        "in-last-content": offsets[-1] + BLOCK + 100,
        "half-a-block": offsets[7] + BLOCK // 2,
    }[where]
    bad = tmp_path / "truncated.bel"
    bad.write_bytes(data[:cut])
    code, out, err = run_cli(bad)
    assert code == 2, (code, out, err)
    assert "truncated.bel" in one_line(err)


def test_cli_archive_truncated_in_final_padding(honest: tuple[Path, list[str], Any], tmp_path: Path) -> None:
    data = honest[0].read_bytes()
    *_, last = read_tar_entries(honest[0])
    assert (
        -len(last.content) % BLOCK > 50
    )  # the cut below falls inside the padding: every content byte is kept
    bad = tmp_path / "truncated.bel"
    bad.write_bytes(data[:-50])
    code, out, err = run_cli(bad)
    assert code == 2, (code, out, err)


@pytest.mark.parametrize(
    "content",
    [b"", b"hello, world\n", b"\x01" * 2048, b"PK\x03\x04" + b"\x00" * 1020, b"{}" + b" " * 600],
    ids=["empty", "text", "binary", "zip", "json"],
)
def test_cli_not_a_tar_file(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "junk.bel"
    bad.write_bytes(content)
    code, out, err = run_cli(bad)
    assert_rejected(code, out, err, "junk.bel" if code == 2 else "INVALID")


def test_cli_tar_that_is_not_belenios(tmp_path: Path) -> None:
    bad = tmp_path / "other.bel"
    body = b"hello\n"
    bad.write_bytes(tar_header("README", len(body), TIMESTAMP) + body + b"\x00" * (BLOCK - len(body)))
    code, _out, err = run_cli(bad)
    assert code == 2 and "other.bel" in one_line(err)


def _edit_setup_object(entries: list[Entry], which: str, change: Callable[[bytes], bytes]) -> None:
    data, events = index_entries(entries)
    setup_data = next(p for t, p in events if t == "Setup").json()
    target = data[setup_data[which]]
    target.content = change(target.content)


@pytest.mark.parametrize(
    ("which", "change", "field"),
    [
        ("election", lambda c: c.replace(b'"group":"Ed25519"', b'"group":"Ed448"'), "group"),
        ("election", lambda c: c[:-1], "election"),
        ("election", lambda c: c.replace(b'"version":1', b'"version":2'), "version"),
        ("trustees", lambda c: b"[[" + c, "trustees"),
        ("credentials", lambda c: c.replace(b'"', b"'"), "credentials"),
    ],
    ids=[
        "unknown-group",
        "election-bad-json",
        "election-version",
        "trustees-bad-json",
        "credentials-bad-json",
    ],
)
def test_cli_unreadable_setup(
    honest: tuple[Path, list[str], Any],
    tmp_path: Path,
    which: str,
    change: Callable[[bytes], bytes],
    field: str,
) -> None:
    path = tamper(
        honest[0], tmp_path / "setup.bel", lambda entries: _edit_setup_object(entries, which, change)
    )
    code, out, err = run_cli(path)
    assert code == 2, (code, out, err)
    line = one_line(err)
    assert "setup.bel" in line and field in line, line


def test_cli_result_not_json(honest: tuple[Path, list[str], Any], tmp_path: Path) -> None:
    def edit(entries: list[Entry]) -> None:
        (result,) = payloads(entries, "Result")
        result.content = b'{"result":[[3,1]]'

    code, out, err = run_cli(tamper(honest[0], tmp_path / "r.bel", edit))
    assert code == 2, (code, out, err)
    line = one_line(err)
    assert "r.bel" in line and "result" in line, line


ED25519_BAD_POINTS = {
    # Belenios hex (big-endian, i.e. the byte-reversed RFC 8032 encoding) of values that are not canonical
    # encodings of points of the prime-order subgroup.  Small orders checked in tests/property.
    "y0-order4": "00" * 32,
    "identity": "00" * 31 + "01",
    "order2": "7f" + "ff" * 30 + "ec",
    "y0-order4-neg": "80" + "00" * 31,
    "order8": "05fc536d880238b13933c6d305acdfd5f098eff289f4c345b027b2c28f95e826",
    "order8-neg": "fa03ac9277fdc74ec6cc392cfa53202a0f67100d760b3cba4fd84d3d706a17c7",
    "y=p": "7f" + "ff" * 30 + "ed",
    "y=p+1": "7f" + "ff" * 30 + "ee",
    "upper-case": G.encode(G.g_pow(7)).upper(),
    "short": G.encode(G.g_pow(7))[:-2],
    "long": G.encode(G.g_pow(7)) + "00",
    "not-hex": "zz" + G.encode(G.g_pow(7))[2:],
}


@pytest.mark.parametrize("field", ["alpha", "beta", "credential"])
@pytest.mark.parametrize("point", sorted(ED25519_BAD_POINTS))
def test_cli_ballot_with_bad_point(
    honest: tuple[Path, list[str], Any], tmp_path: Path, field: str, point: str
) -> None:
    value = ED25519_BAD_POINTS[point]

    def edit(entries: list[Entry]) -> None:
        ballot = payloads(entries, "Ballot")[1]
        obj = ballot.json()
        if field == "credential":
            obj["credential"] = value
        else:
            obj["answers"][0]["choices"][0][field] = value
        ballot.set_json(obj)

    path = tamper(honest[0], tmp_path / "p.bel", edit)
    report, _ = verify_archive(path, jobs=1)
    assert "ballot.format" in {c.name for c in report.failures}
    code, out, err = run_cli(path)
    assert code in (1, 2)
    text = out + err
    assert "ballot #2" in text and f".{field}" in text, text


@pytest.mark.parametrize("point", ["identity", "order8", "y=p", "upper-case"])
@pytest.mark.parametrize("where", ["election.public_key", "trustee.public_key", "credential"])
def test_cli_setup_with_bad_point(
    honest: tuple[Path, list[str], Any], tmp_path: Path, where: str, point: str
) -> None:
    value = ED25519_BAD_POINTS[point]

    def edit(entries: list[Entry]) -> None:
        if where == "election.public_key":
            _edit_setup_object(entries, "election", lambda c: _set_key(c, ["public_key"], value))
        elif where == "trustee.public_key":
            _edit_setup_object(entries, "trustees", lambda c: _set_key(c, [0, 1, "public_key"], value))
        else:
            _edit_setup_object(entries, "credentials", lambda c: _set_key(c, [2], value))

    path = tamper(honest[0], tmp_path / "k.bel", edit)
    code, out, err = run_cli(path)
    field = where.split(".")[-1]
    assert_rejected(code, out, err, "k.bel" if code == 2 else "INVALID", field)
    if code == 1 and err.strip():  # a format error: one line on stderr naming the archive and the field
        line = one_line(err)
        assert "k.bel" in line and field in line, line


def _set_key(content: bytes, path: list[Any], value: str) -> bytes:
    obj = json.loads(content)
    target = obj
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return dumps(obj).encode()


def test_cli_ballot_not_json(honest: tuple[Path, list[str], Any], tmp_path: Path) -> None:
    def edit(entries: list[Entry]) -> None:
        ballot = payloads(entries, "Ballot")[2]
        ballot.content = ballot.content[:-1]

    path = tamper(honest[0], tmp_path / "j.bel", edit)
    code, out, err = run_cli(path)
    assert code == 1, (code, out, err)
    assert "ballot.format" in out and "ballot #3" in out and "JSON" in out, out


def test_cli_entry_point_exit_codes(honest: tuple[Path, list[str], Any], tmp_path: Path) -> None:
    """The installed ``strikevote`` script, in a real process: 0 valid, 1 invalid, 2 unreadable; no traceback."""
    exe = Path(sys.executable).parent / "strikevote"
    if not exe.is_file():
        pytest.skip(f"{exe} is not installed")

    def edit(entries: list[Entry]) -> None:
        (result,) = payloads(entries, "Result")
        result.set_json({"result": [[0, 4]]})

    junk = tmp_path / "junk.bel"
    junk.write_bytes(b"not an archive\n")
    cases = [(honest[0], 0), (tamper(honest[0], tmp_path / "bad.bel", edit), 1), (junk, 2)]
    for path, expected in cases:
        proc = subprocess.run(
            [str(exe), "verify", "--jobs", "1", str(path)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == expected, (path, proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stdout + proc.stderr
        if expected == 1:
            assert "result.result" in proc.stdout
        if expected == 2:
            assert "junk.bel" in one_line(proc.stderr)
