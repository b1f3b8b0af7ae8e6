"""The booth's JavaScript cryptography (booth/src/crypto/) against the Python core and the reference tools.

* Known answers: with the same DeterministicRandomness seed, the booth's ballot is byte for byte the one
  ``strikevote.belenios.ballot.create_ballot`` makes, in both groups and for several question shapes.
* Credentials: the booth derives the secrets of belenios-tool 3.0's credentials (the kind strikevote issues) and
  of belenios-tool 2.0's old-style ones (PBKDF2, with a checksum); typing mistakes are caught before encrypting.
* Group elements from outside: everything Belenios refuses, the booth refuses.
* Real ballots (the system CSPRNG): accepted by our verifier and by belenios-tool 3.0 ``election verify-ballot``
  in both groups, and counted by both in a complete election.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from belenios_helpers import run_tool, tool_compute_result, tool_verify, tool_verify_ballots

from booth_support import booth_crypto, ok
from strikevote.belenios.ballot import BallotCheck, create_ballot, parse_ballot
from strikevote.belenios.election import ElectionParams, Question
from strikevote.belenios.setup import generate_credentials, new_uuid, public_credentials_json
from strikevote.belenios.tally import (
    add_to_tally,
    combine_decryptions,
    compute_factor,
    decrypt_result,
    empty_tally,
)
from strikevote.belenios.trustees import combined_public_key, decryption_keys
from strikevote.crypto.credentials import derive_secret
from strikevote.crypto.ed25519 import ED25519
from strikevote.crypto.ff import BELENIOS_2048
from strikevote.crypto.group import Group
from strikevote.crypto.groups import group_by_name
from strikevote.crypto.randomness import DeterministicRandomness
from strikevote.simulation.archive import ElectionArchive
from strikevote.simulation.election import YES_NO, make_trustees
from strikevote.verify.archive import verify_archive

pytestmark = pytest.mark.interop

GROUPS = ["Ed25519", "BELENIOS-2048"]
VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "credentials"
THREE_OF = Question(("Alice", "Bob", "Carol"), 0, 2, "Pick at most two")


def _election(group: Group[Any], seed: str, questions: tuple[Question, ...] = (YES_NO,)) -> ElectionParams:
    rng = DeterministicRandomness(seed)
    return ElectionParams.make(
        group=group,
        public_key=group.g_pow(group.random_nonzero_scalar(rng)),
        uuid=new_uuid(rng),
        name="Strike authorization",
        description="Local 44",
        questions=questions,
    )


# --- known answers -------------------------------------------------------------------------------------------

KAT_CASES = [
    ((YES_NO,), [[1, 0]]),
    ((YES_NO,), [[0, 1]]),
    ((THREE_OF,), [[1, 0, 1]]),
    ((THREE_OF,), [[0, 0, 0]]),
    ((YES_NO, THREE_OF), [[0, 1], [0, 1, 0]]),
]


@pytest.mark.parametrize("group_name", GROUPS)
def test_booth_ballot_is_the_python_core_ballot_byte_for_byte(group_name: str) -> None:
    g = group_by_name(group_name)
    ops, expected = [], []
    for i, (questions, choices) in enumerate(KAT_CASES):
        election = _election(g, f"kat-{i}", questions)
        pairs = generate_credentials(g, election.uuid, 1, DeterministicRandomness(f"cred-{i}"))
        seed = f"ballot-{group_name}-{i}"
        ballot = create_ballot(
            election,
            derive_secret(g, election.uuid, pairs[0].private),
            choices,
            DeterministicRandomness(seed),
        )
        ops.append(
            {
                "op": "ballot",
                "election": election.raw,
                "credential": pairs[0].private,
                "choices": choices,
                "seed": seed,
            }
        )
        expected.append((election, ballot, pairs[0].public))
    for result, (election, ballot, public) in zip(booth_crypto(ops), expected, strict=True):
        out = ok(result)
        assert out["ballot"] == ballot.raw
        assert out["tracker"] == ballot.tracker
        assert out["credential"] == public
        assert out["fingerprint"] == election.fingerprint
        assert BallotCheck(election).failed_check(parse_ballot(g, out["ballot"])) is None


def test_booth_reproduces_the_reference_ballot_fingerprint_and_tracker() -> None:
    """The FORMATS.md §5 ballot: the booth computes belenios-tool's φ over the exact election bytes."""
    formats = Path(__file__).resolve().parents[1] / "vectors" / "formats"
    raw = (formats / "election-fRCgzzthi5qpmp.json").read_text("utf-8")
    (res,) = booth_crypto([{"op": "election", "election": raw}])
    assert ok(res)["fingerprint"] == "wRQCoJNzFFWe7IJkR6KoKCb6Ij1NdZnH+ix4b0lf2yw"


def test_different_seeds_give_different_ballots() -> None:
    election = _election(ED25519, "seeds")
    cred = generate_credentials(ED25519, election.uuid, 1, DeterministicRandomness("c"))[0].private
    base = {"op": "ballot", "election": election.raw, "credential": cred, "choices": [[1, 0]]}
    a, b, c = booth_crypto([{**base, "seed": "1"}, {**base, "seed": "2"}, dict(base)])
    assert len({ok(a)["ballot"], ok(b)["ballot"], ok(c)["ballot"]}) == 3


# --- credentials ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("group_name", GROUPS)
def test_booth_derives_belenios_3_credentials(group_name: str) -> None:
    g = group_by_name(group_name)
    d = VECTORS / group_name
    uuid = (d / "uuid").read_text().strip()
    privs = json.loads((d / "privcreds.json").read_text())
    pubs = {e.split(",")[2]: e.split(",")[0] for e in json.loads((d / "pubcreds.json").read_text())}
    results = booth_crypto(
        [{"op": "secret", "group": group_name, "uuid": uuid, "credential": c} for c in privs.values()]
    )
    for (vid, cred), res in zip(privs.items(), results, strict=True):
        secret = int(ok(res)["secret"])
        assert secret == derive_secret(g, uuid, cred)
        assert g.encode(g.g_pow(secret)) == pubs[vid]


def test_booth_derives_belenios_2_old_style_credentials(belenios_tool_2: str, tmp_path: Path) -> None:
    """belenios-tool 2.0's 15-character credentials (PBKDF2): the booth finds the tool's public credentials."""
    uuid = "6PWdSLY2CX9W46"
    run_tool(
        belenios_tool_2,
        ["setup", "generate-credentials", "--uuid", uuid, "--group", "BELENIOS-2048", "--count", "3"],
        tmp_path,
    )
    (privfile,) = tmp_path.glob("*.privcreds")
    (pubfile,) = tmp_path.glob("*.pubcreds")
    creds = [line.split()[1] for line in privfile.read_text().splitlines() if line.strip()]
    publics = set(json.loads(pubfile.read_text()))
    assert len(creds) == 3 and all(len(c) == 19 for c in creds)
    results = booth_crypto(
        [{"op": "secret", "group": "BELENIOS-2048", "uuid": uuid, "credential": c} for c in creds]
    )
    g = BELENIOS_2048
    for cred, res in zip(creds, results, strict=True):
        secret = int(ok(res)["secret"])
        pbkdf2 = hashlib.pbkdf2_hmac("sha256", cred.encode(), uuid.encode(), 1000, 32)
        assert secret == int.from_bytes(pbkdf2, "big") % g.q
        assert any(p.split(",")[0] == g.encode(g.g_pow(secret)) for p in publics)
    # the checksum catches a one-character typo in an old-style credential
    typo = creds[0][:-1] + ("2" if creds[0][-1] != "2" else "3")
    (res,) = booth_crypto([{"op": "credential", "text": typo}])
    assert res["error"] == "checksum"


CREDENTIAL_CASES = [
    ("AXx8d-LCVqkw-ewUXA-Qb1ak9", ("full", "AXx8d-LCVqkw-ewUXA-Qb1ak9")),
    ("  AXx8dLCVqkwewUXAQb1ak9 ", ("full", "AXx8d-LCVqkw-ewUXA-Qb1ak9")),  # dashes put back, spaces dropped
    ("AXx8d LCVqkw ewUXA Qb1ak9", ("full", "AXx8d-LCVqkw-ewUXA-Qb1ak9")),
    ("AXx8d-LCVqkw-ewUXA-Qb1ak", "length"),  # a character missing
    ("AXx8d-LCVqkw-ewUXA-Qb1ak99", "length"),  # one too many
    ("AXx8d-LCVqkw-ewUXA-Qb1ak0", "characters"),  # 0, O, I and l never occur in base58
    ("AXx8d-LCVqkw-ewUXA-QblakO", "characters"),
    ("AXx8dL-Cvqkw-ewUXA-Qb1ak9", "shape"),  # dashes in the wrong places
    ("", "empty"),
]


@pytest.mark.parametrize(("text", "expected"), CREDENTIAL_CASES)
def test_credential_typing_mistakes_are_caught_before_encrypting(text: str, expected: Any) -> None:
    (res,) = booth_crypto([{"op": "credential", "text": text}])
    if isinstance(expected, tuple):
        assert ok(res) == {"style": expected[0], "credential": expected[1]}
    else:
        assert res["error"] == expected, res


def test_a_mistyped_credential_stops_the_ballot() -> None:
    election = _election(ED25519, "typo")
    (res,) = booth_crypto(
        [
            {
                "op": "ballot",
                "election": election.raw,
                "credential": "AXx8d-LCVqkw-ewUXA-Qb1akO",
                "choices": [[1, 0]],
            }
        ]
    )
    assert res["error"] == "characters"


# --- elements from outside -----------------------------------------------------------------------------------


def _ed_hex(rfc8032: bytes) -> str:
    return rfc8032[::-1].hex()


_P25519 = 2**255 - 19
_ORDER2 = (_P25519 - 1).to_bytes(32, "little")  # (0, -1), a point of order 2
_NONCANONICAL_ONE = (_P25519 + 1).to_bytes(32, "little")  # y = p + 1 ≡ 1: the identity, not canonical
_TORSION = bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")  # order 8


def _mixed() -> str:
    """A point on the curve but outside the prime-order subgroup: g plus a point of order 8."""
    from nacl.bindings import crypto_core_ed25519_add, crypto_core_ed25519_is_valid_point

    mixed = crypto_core_ed25519_add(ED25519.g, _TORSION)
    assert not crypto_core_ed25519_is_valid_point(mixed)  # on the curve, outside the subgroup
    return _ed_hex(mixed)


ELEMENT_CASES = [
    ("Ed25519", ED25519.encode(ED25519.g_pow(12345)), None),
    ("Ed25519", ED25519.encode(ED25519.g_pow(12345)).upper(), "element"),
    ("Ed25519", "0" * 63 + "1", "element"),  # the identity
    ("Ed25519", _ed_hex(_ORDER2), "element"),
    ("Ed25519", _ed_hex(_NONCANONICAL_ONE), "element"),
    ("Ed25519", _ed_hex(_TORSION), "element"),
    ("Ed25519", "ff" * 32, "element"),
    ("Ed25519", "12", "element"),
    ("BELENIOS-2048", str(BELENIOS_2048.g_pow(12345)), None),
    ("BELENIOS-2048", "1", "element"),
    ("BELENIOS-2048", "0", "element"),
    ("BELENIOS-2048", str(BELENIOS_2048.p), "element"),
    ("BELENIOS-2048", str(BELENIOS_2048.p - 1), "element"),  # order 2, not in the subgroup
    ("BELENIOS-2048", "0" + str(BELENIOS_2048.g_pow(5)), "element"),  # leading zero
    ("BELENIOS-2048", str(BELENIOS_2048.g_pow(5) + BELENIOS_2048.p), "element"),
    ("BELENIOS-2048", "2", "element"),  # 2 is not in the order-q subgroup of BELENIOS-2048
]


@pytest.mark.parametrize(("group_name", "element", "error"), ELEMENT_CASES)
def test_booth_refuses_elements_belenios_refuses(group_name: str, element: str, error: str | None) -> None:
    g = group_by_name(group_name)
    (res,) = booth_crypto([{"op": "decode", "group": group_name, "element": element}])
    python_ok = True
    try:
        g.decode(element)
    except Exception:
        python_ok = False
    if error is None:
        assert ok(res)["encoded"] == element and python_ok
    else:
        assert res.get("error") == error, res
        assert not python_ok, "the Python core accepts what the booth refuses"


def test_booth_refuses_a_mixed_order_point() -> None:
    mixed = _mixed()
    (res,) = booth_crypto([{"op": "decode", "group": "Ed25519", "element": mixed}])
    assert res.get("error") == "element", res


# --- real ballots: our verifier and belenios-tool 3.0 -------------------------------------------------------


def _booth_election(tmp_path: Path, group: Group[Any], votes: list[int]) -> tuple[Path, list[str]]:
    """A complete election whose ballots the booth made (system CSPRNG); the archive and the booth's trackers."""
    rng = DeterministicRandomness(f"booth-election-{group.name}")
    uuid = new_uuid(rng)
    trustees, secrets = make_trustees(group, "both", 2, 3, rng)
    election = ElectionParams.make(
        group=group,
        public_key=combined_public_key(group, trustees),
        uuid=uuid,
        name="Strike authorization",
        description="Strike authorization vote",
        questions=(YES_NO,),
    )
    creds = generate_credentials(group, uuid, len(votes), rng)
    path = tmp_path / f"{uuid}.bel"
    archive = ElectionArchive.create(
        path,
        election,
        trustees,
        public_credentials_json(group, [c.public for c in creds]),
        timestamp=1_800_000_000,
    )
    results = booth_crypto(
        [
            {
                "op": "ballot",
                "election": election.raw,
                "credential": c.private,
                "choices": [[1, 0] if v else [0, 1]],
            }
            for c, v in zip(creds, votes, strict=True)
        ]
    )
    tally = empty_tally(election)
    trackers = []
    checker = BallotCheck(election)
    for res in results:
        raw = ok(res)["ballot"]
        ballot = parse_ballot(group, raw)
        assert checker.failed_check(ballot) is None
        add_to_tally(group, tally, ballot.answers)
        archive.add_ballot(raw)
        trackers.append(ok(res)["tracker"])
        assert ballot.tracker == ok(res)["tracker"]
    archive.end_ballots()
    archive.add_encrypted_tally(tally, len(votes), len(votes))
    partials = {
        tid: compute_factor(election, tally, secrets[tid], rng) for tid, *_ in decryption_keys(trustees)
    }
    for tid, pd in partials.items():
        archive.add_partial_decryption(tid, pd)
    archive.add_result(
        decrypt_result(election, tally, combine_decryptions(election, trustees, partials), len(votes))
    )
    archive.close()
    return path, trackers


@pytest.mark.parametrize("group_name", GROUPS)
def test_booth_ballots_accepted_and_counted_by_us_and_belenios_3(
    group_name: str, belenios_tool_3: str, tmp_path: Path
) -> None:
    votes = [1, 0, 1]
    path, trackers = _booth_election(tmp_path, group_by_name(group_name), votes)
    report, facts = verify_archive(path, jobs=1)
    assert report.valid, [(c.name, c.detail) for c in report.failures]
    assert facts.result == [[2, 1]]
    assert tool_verify_ballots(belenios_tool_3, path, tmp_path / "vb") == len(votes)
    tool_verify(belenios_tool_3, path, tmp_path / "v3")
    assert tool_compute_result(belenios_tool_3, path, tmp_path / "cr") == {"result": [[2, 1]]}
    assert len(set(trackers)) == len(votes)
