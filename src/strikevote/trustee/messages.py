"""The public files between the committee and a trustee, and their validation (both sides use these).

The committee's **export** (``strikevote trustee export``, or the server's API) holds everything public a
trustee's next step needs::

    {"format": "strikevote-trustee-export/1", "vote": <id>, "group": <name>, "threshold": k, "size": n,
     "trustees": [{"index": i, "name": ..., "certificate": {...}|null, "polynomial": {...}|null,
                   "verification_key": {...}|null}, ...],
     "vote_json": <vote.json without its elections>|null,        # once the elections are set up
     "archives": {<local id>: <base64 of the local's .bel>}}     # once the ballot box is closed

A trustee's **message** (written by ``strikevote trustee init|polynomial|finish|decrypt --out``) holds one
step's public output::

    {"format": "strikevote-trustee-message/1", "vote": <id>, "trustee": i, "step": <step>, "body": ...}

with ``step`` one of ``certificate`` (the signed certificate), ``polynomial`` (signed coefficient
exponentials, the ``certs_sig`` signature, one sealed share per trustee), ``verification-key`` and
``decryption`` (per local: the Belenios partial decryption and strikevote's strong proofs, both as the exact
JSON strings published).  Every parser here names the file and the field that is wrong.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from strikevote.belenios.ballot import parse_proof, proof_json
from strikevote.belenios.errors import FormatError
from strikevote.belenios.setup import PolynomialMessage
from strikevote.belenios.trustees import SignedMessage, parse_signed
from strikevote.crypto.errors import CryptoError
from strikevote.crypto.group import Group
from strikevote.records.errors import RecordError
from strikevote.records.vote import VoteRecord
from strikevote.trustee.errors import TrusteeFileError

EXPORT_FORMAT: Final = "strikevote-trustee-export/1"
MESSAGE_FORMAT: Final = "strikevote-trustee-message/1"
STEPS: Final = ("certificate", "polynomial", "verification-key", "decryption")


@dataclass(frozen=True)
class TrusteeSeat:
    index: int
    name: str
    certificate: dict[str, Any] | None
    polynomial: dict[str, Any] | None
    verification_key: dict[str, Any] | None


@dataclass(frozen=True)
class Export:
    vote: str
    group: str
    threshold: int
    size: int
    trustees: tuple[TrusteeSeat, ...]
    vote_json: VoteRecord | None  # vote.json's header (without its elections)
    archives: dict[str, bytes]


@dataclass(frozen=True)
class Message:
    vote: str
    trustee: int
    step: str
    body: Any


def _load(raw: bytes, where: str, fmt: str) -> dict[str, Any]:
    try:
        doc = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise TrusteeFileError(f"{where}: not UTF-8 text") from None
    except (ValueError, RecursionError) as exc:
        raise TrusteeFileError(f"{where}: not a complete JSON document (truncated?): {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != fmt:
        raise TrusteeFileError(f"{where}: not a strikevote file of format {fmt!r}")
    return doc


def _need(doc: dict[str, Any], key: str, typ: type | tuple[type, ...], where: str) -> Any:
    value = doc.get(key)
    if not isinstance(value, typ) or isinstance(value, bool):
        raise TrusteeFileError(f"{where}: field {key!r} is missing or malformed")
    return value


def export_json(export: Export) -> bytes:
    doc = {
        "format": EXPORT_FORMAT,
        "vote": export.vote,
        "group": export.group,
        "threshold": export.threshold,
        "size": export.size,
        "trustees": [
            {
                "index": t.index,
                "name": t.name,
                "certificate": t.certificate,
                "polynomial": t.polynomial,
                "verification_key": t.verification_key,
            }
            for t in export.trustees
        ],
        "vote_json": None if export.vote_json is None else export.vote_json.to_json(),
        "archives": {lid: base64.b64encode(raw).decode("ascii") for lid, raw in export.archives.items()},
    }
    return (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def parse_export(raw: bytes, where: str) -> Export:
    doc = _load(raw, where, EXPORT_FORMAT)
    size = _need(doc, "size", int, where)
    threshold = _need(doc, "threshold", int, where)
    if not 1 <= threshold <= size:
        raise TrusteeFileError(f"{where}: threshold {threshold} of {size} trustees")
    seats = []
    for i, t in enumerate(_need(doc, "trustees", list, where), start=1):
        w = f"{where}: trustees[{i - 1}]"
        if not isinstance(t, dict) or t.get("index") != i or not isinstance(t.get("name"), str):
            raise TrusteeFileError(f"{w}: expected the seat {i} with its index and name")
        parts = [t.get(k) for k in ("certificate", "polynomial", "verification_key")]
        if any(p is not None and not isinstance(p, dict) for p in parts):
            raise TrusteeFileError(f"{w}: certificate, polynomial and verification_key are objects or null")
        seats.append(TrusteeSeat(i, t["name"], parts[0], parts[1], parts[2]))
    if len(seats) != size:
        raise TrusteeFileError(f"{where}: {len(seats)} trustee seats for a vote of {size}")
    vote_json = None
    if doc.get("vote_json") is not None:
        try:
            vote_json = VoteRecord.from_json(doc["vote_json"], "vote_json", header_only=True)
        except RecordError as exc:
            raise TrusteeFileError(f"{where}: {exc}") from None
    archives: dict[str, bytes] = {}
    for lid, b64 in _need(doc, "archives", dict, where).items():
        if not isinstance(b64, str):
            raise TrusteeFileError(f"{where}: archives[{lid!r}] is not base64 text")
        try:
            archives[lid] = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError):
            raise TrusteeFileError(f"{where}: archives[{lid!r}] is not valid base64 (truncated?)") from None
    return Export(
        _need(doc, "vote", str, where),
        _need(doc, "group", str, where),
        threshold,
        size,
        tuple(seats),
        vote_json,
        archives,
    )


def message_json(msg: Message) -> bytes:
    doc = {
        "format": MESSAGE_FORMAT,
        "vote": msg.vote,
        "trustee": msg.trustee,
        "step": msg.step,
        "body": msg.body,
    }
    return (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def parse_message(raw: bytes, where: str) -> Message:
    doc = _load(raw, where, MESSAGE_FORMAT)
    step = _need(doc, "step", str, where)
    if step not in STEPS:
        raise TrusteeFileError(f"{where}: unknown step {step!r}")
    trustee = _need(doc, "trustee", int, where)
    if trustee < 1:
        raise TrusteeFileError(f"{where}: trustee {trustee} is not a seat")
    if "body" not in doc:
        raise TrusteeFileError(f"{where}: field 'body' is missing")
    return Message(_need(doc, "vote", str, where), trustee, step, doc["body"])


def read_file(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise TrusteeFileError(f"{path}: cannot read the {what} ({exc.strerror or exc})") from None


# --- the ceremony's public objects ----------------------------------------------------------------------------


def polynomial_json(group: Group[Any], msg: PolynomialMessage) -> dict[str, Any]:
    return {
        "index": msg.index,
        "coefexps": msg.coefexps.to_json(),
        "signature": proof_json(msg.signature),
        "shares": {str(j): [e, base64.b64encode(c).decode()] for j, (e, c) in msg.shares.items()},
    }


def parse_polynomial(group: Group[Any], obj: Any, size: int, where: str) -> PolynomialMessage:
    """A polynomial message, well formed (its signatures are checked by the callers, who hold the certificates)."""
    try:
        if not isinstance(obj, dict) or set(obj) != {"index", "coefexps", "signature", "shares"}:
            raise FormatError(where, "expected index, coefexps, signature and shares")
        index = obj["index"]
        if not isinstance(index, int) or isinstance(index, bool) or not 1 <= index <= size:
            raise FormatError(f"{where}.index", f"not a seat of 1..{size}")
        shares_obj = obj["shares"]
        if not isinstance(shares_obj, dict) or set(shares_obj) != {str(j) for j in range(1, size + 1)}:
            raise FormatError(f"{where}.shares", f"expected one sealed share for each of the {size} trustees")
        shares: dict[int, tuple[str, bytes]] = {}
        for j, pair in shares_obj.items():
            if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
                raise FormatError(f"{where}.shares[{j}]", "expected [ephemeral key, base64 box]")
            group.decode(pair[0])
            try:
                shares[int(j)] = (pair[0], base64.b64decode(pair[1], validate=True))
            except (binascii.Error, ValueError):
                raise FormatError(f"{where}.shares[{j}]", "bad base64") from None
        coefexps: SignedMessage = parse_signed(group, obj["coefexps"], f"{where}.coefexps")
        return PolynomialMessage(
            index, coefexps, parse_proof(group, obj["signature"], f"{where}.signature"), shares
        )
    except CryptoError as exc:
        raise FormatError(where, str(exc)) from None
