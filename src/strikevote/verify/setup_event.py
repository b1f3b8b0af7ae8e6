"""The Setup event (``election.*``, ``trustees.*``, ``credentials.*``): election.json well-formed and its key the
product of the trustees' keys; every Single proof of knowledge and every Pedersen certificate, coefexps,
signature and verification key (specification §"Threshold decryption"; ``trustees.pedersen-dialect``: no
downgrade); every public credential a valid, distinct group element, with its weight.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from strikevote.belenios.archive import Event
from strikevote.belenios.codec import check_object, decimal, get_list, loads, text
from strikevote.belenios.election import ElectionParams
from strikevote.belenios.errors import FormatError
from strikevote.belenios.trustees import (
    Single,
    TrusteeKind,
    check_single,
    combined_public_key,
    parse_trustees,
    pedersen_failures,
)
from strikevote.crypto.group import Group
from strikevote.crypto.hashing import sha256_b64
from strikevote.records.checks import Check
from strikevote.verify.ballots import invalid_credentials
from strikevote.verify.checks import Report
from strikevote.verify.facts import ArchiveFacts
from strikevote.verify.stream import EventStream

# A credential's weight: Belenios caps an election's total weight at 10^11 (``Weight.max_expanded_weight``,
# ``src/lib/core/common.ml``), so no weight has more than 12 digits.
MAX_WEIGHT_DIGITS = 12


@dataclass
class Credentials:
    """The valid, distinct public credentials, each given a slot (0, 1, …) for fixed-size per-voter state."""

    slots: dict[str, int] = field(default_factory=dict)  # public credential -> slot
    weights: dict[int, int] = field(default_factory=dict)  # slot -> weight, only where it is not 1


def check_setup(
    stream: EventStream, ev: Event, report: Report, facts: ArchiveFacts, jobs: int | None
) -> tuple[ElectionParams, Credentials]:
    """Read and check the Setup event's data objects; the election and its credentials."""
    name = stream.path.name
    setup = check_object(
        loads(stream.take(ev.payload, "setup data"), f"{name}: setup_data"),
        f"{name}: setup_data",
        ("election", "trustees", "credentials"),
    )
    where = f"{name}: election.json"
    election = ElectionParams.parse(text(stream.take(setup["election"], "election"), where), where)
    g = election.group
    where = f"{name}: trustees.json"
    trustees = parse_trustees(g, text(stream.take(setup["trustees"], "trustees"), where), where)
    facts.election = election
    facts.trustees = trustees
    _check_trustees(report, g, trustees)
    report.check(
        Check.ELECTION_PUBLIC_KEY,
        g.eq(election.public_key, combined_public_key(g, trustees)),
        "the election key is the product of the trustees' keys",
    )
    raw_creds = stream.take(setup["credentials"], "credentials")
    facts.credentials_fingerprint = sha256_b64(raw_creds)
    credentials = _check_credentials(report, g, raw_creds, f"{name}: public credentials", jobs)
    facts.credentials = len(credentials.slots)
    return election, credentials


def _check_trustees(report: Report, g: Group[Any], trustees: list[TrusteeKind]) -> None:
    for i, t in enumerate(trustees):
        if isinstance(t, Single):
            report.check(
                Check.TRUSTEES_SINGLE_POK,
                check_single(g, t.key) is None,
                f"trustee {i + 1}: proof of knowledge",
            )
            continue
        failures = pedersen_failures(g, t)
        for f in failures:
            report.add(f, f"threshold group {i + 1}")
        if not failures:
            report.check(Check.TRUSTEES_PEDERSEN, True, f"{t.threshold}-of-{len(t.certs)} threshold keys")


def _check_credentials(
    report: Report, g: Group[Any], raw: bytes, where: str, jobs: int | None
) -> Credentials:
    creds = get_list(loads(raw, where), None, where)
    entries: list[tuple[str, str]] = []  # (credential, weight as written, "" when absent)
    for i, c in enumerate(creds):
        if not isinstance(c, str):
            raise FormatError(f"{where}[{i}]", "expected a string")
        cred, _, weight_s = c.partition(",")
        entries.append((cred, weight_s))
    invalid = invalid_credentials(g.name, [cred for cred, _ in entries], jobs)
    out = Credentials()
    bad = 0
    for i, (cred, weight_s) in enumerate(entries):
        weight = 1
        if weight_s:
            weight = decimal(weight_s, f"{where}[{i}] weight", max_digits=MAX_WEIGHT_DIGITS)
            if weight < 1:
                raise FormatError(f"{where}[{i}] weight", "must be at least 1")
        if i in invalid:
            bad += 1
            report.fail(Check.CREDENTIALS_VALID, f"credential {i + 1}: {invalid[i]}")
            continue
        if cred in out.slots:
            report.fail(Check.CREDENTIALS_UNIQUE, f"credential {i + 1} is listed twice")
            continue
        slot = len(out.slots)
        out.slots[cred] = slot
        if weight != 1:
            out.weights[slot] = weight
    if not bad:
        report.check(
            Check.CREDENTIALS_VALID, True, f"{len(creds)} public credentials, all valid group elements"
        )
    return out
