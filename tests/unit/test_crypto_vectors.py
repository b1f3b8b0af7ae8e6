"""Known-answer vectors for the crypto core and the Belenios records (provenance: tests/vectors/README.md).

Every expected value here was produced by belenios-tool (2.0 or 3.0), by RFC 8032, or copied from
/work/shared/peers/belenios/FORMATS.md (itself read from belenios-tool 3.0 output); none was computed by the code
under test.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import gmpy2
import pytest

from strikevote.belenios.archive import Event, read_entries
from strikevote.belenios.ballot import BallotCheck, ballot_json, parse_ballot
from strikevote.belenios.election import ElectionParams
from strikevote.belenios.setup import public_credentials_json
from strikevote.belenios.tally import PartialDecryption, parse_partial_decryption, parse_tally, tally_json
from strikevote.belenios.trustees import check_single, parse_public_key, parse_trustees, trustees_json
from strikevote.crypto import proofs
from strikevote.crypto.credentials import derive_secret, parse_credential, public_credential
from strikevote.crypto.ed25519 import BASE, ED25519, IDENTITY, L
from strikevote.crypto.errors import InvalidElement, InvalidEncoding
from strikevote.crypto.ff import BELENIOS_2048
from strikevote.crypto.groups import group_by_name
from strikevote.crypto.hashing import hash_to_zq, sha256_b64, sha256_hex

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
FORMATS = VECTORS / "formats"
REFERENCE = VECTORS / "belenios"


# --- Ed25519 encodings (FORMATS.md §1) --------------------------------------------------------------------------

G_HEX = "6666666666666666666666666666666666666666666666666666666666666658"
G_RFC8032 = "5866666666666666666666666666666666666666666666666666666666666666"
IDENTITY_HEX = "0000000000000000000000000000000000000000000000000000000000000001"


def test_ed25519_base_point_encoding() -> None:
    assert bytes.fromhex(G_RFC8032) == BASE == ED25519.g
    assert ED25519.encode(ED25519.g) == G_HEX
    assert ED25519.decode(G_HEX) == BASE
    assert ED25519.g_pow(1) == BASE


def test_ed25519_identity_encoding() -> None:
    assert ED25519.encode(ED25519.one) == IDENTITY_HEX
    assert IDENTITY == bytes.fromhex(IDENTITY_HEX)[::-1]
    assert ED25519.g_pow(0) == IDENTITY and ED25519.g_pow(L) == IDENTITY
    with pytest.raises(InvalidElement):  # of small order (order 1): never a valid public value
        ED25519.decode(IDENTITY_HEX)


def test_ed25519_order() -> None:
    assert L == 2**252 + 27742317777372353535851937790883648493 == ED25519.q
    assert ED25519.pow(BASE, L - 1) == ED25519.inv(BASE)


def test_ed25519_rfc8032_test1_public_key() -> None:
    """RFC 8032 §7.1 TEST 1: A = a·B for the clamped a = SHA-512(sk)[0:32]; a known answer for g_pow."""
    sk = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    h = bytearray(hashlib.sha512(sk).digest()[:32])
    h[0] &= 248
    h[31] = (h[31] & 127) | 64
    a = int.from_bytes(h, "little")
    expected = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    assert ED25519.g_pow(a) == expected
    assert ED25519.encode(ED25519.g_pow(a)) == expected[::-1].hex()


# --- BELENIOS-2048 parameters ----------------------------------------------------------------------------------


def test_belenios_2048_parameters() -> None:
    g = BELENIOS_2048
    p, q = int(g.p), g.q
    assert p.bit_length() == 2048 and q.bit_length() == 256
    assert gmpy2.is_prime(p, 50) and gmpy2.is_prime(q, 50)
    assert (p - 1) % q == 0
    assert int(g.g) != 1 and pow(int(g.g), q, p) == 1
    assert g.decode(g.encode(g.g)) == g.g


# --- hashing (belenios-tool sha256-b64) ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "b64"),
    [  # printf %s DATA | belenios-tool sha256-b64   (2.0 and 3.0 print the same)
        (b"", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"),
        (b"abc", "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0"),
        (b"abc\n", "7eqv8/F3StKIhnN3DG1kCX45G8Ni19b7NJgt3w79GMs"),
    ],
)
def test_sha256_b64(data: bytes, b64: str) -> None:
    assert sha256_b64(data) == b64
    assert sha256_b64(data.decode()) == b64
    assert "=" not in b64


def test_election_fingerprint() -> None:
    """FORMATS.md §2: φ of the 3.0 election = belenios-tool sha256-b64 of election.json."""
    raw = (FORMATS / "election-fRCgzzthi5qpmp.json").read_text()
    e = ElectionParams.parse(raw)
    assert e.fingerprint == sha256_b64(raw) == "wRQCoJNzFFWe7IJkR6KoKCb6Ij1NdZnH+ix4b0lf2yw"
    assert e.raw == raw and e.group is ED25519 and e.uuid == "fRCgzzthi5qpmp"
    again = ElectionParams.make(
        group=e.group,
        public_key=e.public_key,
        uuid=e.uuid,
        name=e.name,
        description=e.description,
        questions=e.questions,
    )
    assert again.raw == raw


def test_hash_to_zq_is_big_endian_mod_q() -> None:
    prefix, elements = "pok|Ed25519|", [G_HEX]
    digest = hashlib.sha256((prefix + G_HEX).encode()).hexdigest()
    assert hash_to_zq(prefix, elements, L) == int(digest, 16) % L
    assert ED25519.hash(prefix, [BASE]) == int(digest, 16) % L
    assert hash_to_zq("x|", ["1", "2"], 1 << 256) == int(sha256_hex("x|1,2"), 16)


# --- the real 3.0 ballot of FORMATS.md §5 -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def formats_election() -> ElectionParams:
    return ElectionParams.parse((FORMATS / "election-fRCgzzthi5qpmp.json").read_text())


@pytest.fixture(scope="module")
def formats_ballot() -> str:
    return (FORMATS / "ballot-fRCgzzthi5qpmp.json").read_text()


def test_formats_ballot_verifies(formats_election: ElectionParams, formats_ballot: str) -> None:
    b = parse_ballot(ED25519, formats_ballot)
    assert BallotCheck(formats_election).failed_check(b) is None
    assert ballot_json(ED25519, b) == formats_ballot  # byte-identical re-serialization
    assert b.signature_hash == "LhT+mx1GCcqV8IUIfciFZ7UHLB9h5E1ER7aJl67mo9Q"
    unsigned = {k: v for k, v in json.loads(formats_ballot).items() if k != "signature"}
    assert sha256_b64(json.dumps(unsigned, separators=(",", ":"))) == b.signature_hash
    # smart ballot tracker: printf %s BALLOT | belenios-tool sha256-b64 (3.0)
    assert b.tracker == "Ki6LPwHoGqorhbDgoQruD3xiaOEYAxzYoIqhviJGdic"


def test_formats_ballot_individual_proof_hash(formats_election: ElectionParams, formats_ballot: str) -> None:
    """The exact Fiat–Shamir string of FORMATS.md §10: prove|φ|cred|α,β|A0,B0,A1,B1 (Σc = H)."""
    g, y = ED25519, formats_election.public_key
    b = parse_ballot(g, formats_ballot)
    ct, (p0, p1) = b.answers[0].choices[0], b.answers[0].individual_proofs[0]
    commitments = []
    for p, m in ((p0, 0), (p1, 1)):
        commitments.append(g.g_pow2(p.response, ct.alpha, p.challenge))
        commitments.append(g.pow2(y, p.response, g.div(ct.beta, g.g_pow(m)), p.challenge))
    text = (
        f"prove|{formats_election.fingerprint}|{g.encode(b.credential)}|"
        f"{g.encode(ct.alpha)},{g.encode(ct.beta)}|" + ",".join(g.encode(c) for c in commitments)
    )
    assert text.startswith("prove|wRQCoJNzFFWe7IJkR6KoKCb6Ij1NdZnH+ix4b0lf2yw|379c852f")
    assert int(sha256_hex(text), 16) % L == (p0.challenge + p1.challenge) % L


@pytest.mark.parametrize("field", ["choice", "proof", "signature", "uuid", "hash"])
def test_formats_ballot_any_change_is_caught(
    formats_election: ElectionParams, formats_ballot: str, field: str
) -> None:
    obj = json.loads(formats_ballot)
    a = obj["answers"][0]
    if field == "choice":
        a["choices"][0], a["choices"][1] = a["choices"][1], a["choices"][0]
    elif field == "proof":
        a["overall_proof"][0]["challenge"] = str(int(a["overall_proof"][0]["challenge"]) + 1)
    elif field == "signature":
        obj["signature"]["proof"]["response"] = str(int(obj["signature"]["proof"]["response"]) + 1)
    elif field == "uuid":
        obj["election_uuid"] = "fRCgzzthi5qpmq"
    else:
        obj["election_hash"] = "x" + obj["election_hash"][1:]
    b = parse_ballot(ED25519, json.dumps(obj, separators=(",", ":")))
    assert BallotCheck(formats_election).failed_check(b) is not None


def test_formats_trustee_key() -> None:
    """FORMATS.md §3: a 3.0 ``setup generate-trustee-key`` pair: g^priv = public_key and the PoK verifies."""
    pub = parse_public_key(ED25519, json.loads((FORMATS / "trustee-single.pubkey").read_text()), "pubkey")
    priv = int(json.loads((FORMATS / "trustee-single.privkey").read_text()))
    assert ED25519.g_pow(priv) == pub.public_key
    assert check_single(ED25519, pub) is None
    assert proofs.verify_knowledge(
        ED25519,
        pub.public_key,
        pub.pok,
        "pok|Ed25519|984349e793701359a0805575e22e30d689f08c69607a1f164a95a569b8fe9700|",
    )
    failure = check_single(
        ED25519, type(pub)(proofs.Proof(pub.pok.challenge, pub.pok.response + 1), pub.public_key)
    )
    assert failure is not None and failure.name == "trustees.single-pok"


# --- credentials (belenios-tool 3.0 setup generate-credentials) ---------------------------------------------------


@pytest.mark.parametrize("group_name", ["Ed25519", "BELENIOS-2048"])
def test_credentials_from_belenios_tool_3(group_name: str) -> None:
    d = VECTORS / "credentials" / group_name
    g = group_by_name(group_name)
    uuid = (d / "uuid").read_text().strip()
    private: dict[str, str] = json.loads((d / "privcreds.json").read_text())
    public: list[str] = json.loads((d / "pubcreds.json").read_text())
    by_id = {}
    for entry in public:  # "<g^s>,<weight>,<id>" with an empty weight meaning 1
        element, weight, voter = entry.split(",")
        assert weight == ""
        by_id[voter] = element
    assert sorted(by_id) == sorted(private) and len(private) == 3
    for voter, cred in private.items():
        assert parse_credential(cred) == cred
        assert g.encode(public_credential(g, uuid, cred)) == by_id[voter]
        assert g.g_pow(derive_secret(g, uuid, cred)) == g.decode(by_id[voter])
    # the archive's credential list (ids stripped, Belenios' order of group elements) and the fingerprint the
    # credential authority printed
    ours = public_credentials_json(g, [by_id[v] for v in sorted(private)])
    assert ours == json.dumps([e.split(",")[0] for e in public], separators=(",", ":"))
    assert sha256_b64(ours) == (d / "fingerprint.txt").read_text().strip()


def test_credential_secret_formula() -> None:
    """FORMATS.md §4: s = int(SHA256("derive_credential|U|0|c") ‖ SHA256("derive_credential|U|1|c"), 16) mod q."""
    uuid, cred = "6PWdSLY2CX9W46", "AXx8d-LCVqkw-ewUXA-Qb1ak9"
    digest = "".join(
        hashlib.sha256(f"derive_credential|{uuid}|{i}|{cred}".encode()).hexdigest() for i in (0, 1)
    )
    assert derive_secret(ED25519, uuid, cred) == int(digest, 16) % L
    for bad in ("AXx8d-LCVqkw-ewUXA-Qb1ak", "AXx8d-LCVqkw-ewUXA-Qb1a0", "y4k-V7k-snS-8zf-PJK", ""):
        with pytest.raises(InvalidEncoding):
            derive_secret(ED25519, uuid, bad)


# --- ballots, trustees, tallies and partial decryptions of the committed reference archives --------------------


def _objects(path: Path) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
    data: dict[str, bytes] = {}
    events: list[tuple[str, bytes]] = []
    for rec in read_entries(path):
        if rec.kind == "data":
            data[rec.name_hash] = rec.content
        elif rec.kind == "event":
            ev = Event.parse(rec.content, str(path))
            events.append((ev.type, data[ev.payload] if ev.payload else b""))
    return data, events


REFERENCE_ARCHIVES = sorted(REFERENCE.glob("*/*.bel"))


@pytest.mark.parametrize("path", REFERENCE_ARCHIVES, ids=[p.parent.name for p in REFERENCE_ARCHIVES])
def test_reference_archive_records_round_trip(path: Path) -> None:
    """Every record of a belenios-tool archive parses and re-serializes byte for byte; its ballots verify."""
    data, events = _objects(path)
    setup = json.loads(events[0][1])
    election = ElectionParams.parse(data[setup["election"]].decode())
    g = election.group
    assert g.name == ("Ed25519" if "Ed25519" in path.parent.name else "BELENIOS-2048")
    raw_trustees = data[setup["trustees"]].decode()
    assert trustees_json(g, parse_trustees(g, raw_trustees)) == raw_trustees
    check = BallotCheck(election)
    ballots = [raw.decode() for t, raw in events if t == "Ballot"]
    assert len(ballots) == 5
    for raw in ballots:
        b = parse_ballot(g, raw)
        assert ballot_json(g, b) == raw
        assert check.failed_check(b) is None
    (sized,) = [json.loads(raw) for t, raw in events if t == "EncryptedTally"]
    raw_tally = data[sized["encrypted_tally"]].decode()
    tally = parse_tally(election, raw_tally)
    assert tally_json(g, tally) == raw_tally
    owned = [json.loads(raw) for t, raw in events if t == "PartialDecryption"]
    assert owned
    for o in owned:
        raw_pd = data[o["payload"]].decode()
        pd: PartialDecryption = parse_partial_decryption(election, raw_pd)
        assert pd.to_json(g) == raw_pd


def test_reference_credentials_fingerprint() -> None:
    """The credential list in each archive hashes to the fingerprint its credential authority printed."""
    for path in REFERENCE_ARCHIVES:
        data, events = _objects(path)
        setup = json.loads(events[0][1])
        expected = (path.parent / "credentials-fingerprint.txt").read_text().strip()
        assert sha256_b64(data[setup["credentials"]]) == expected, path
        assert sha256_hex(data[setup["credentials"]]) == setup["credentials"]
