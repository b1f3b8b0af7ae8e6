"""What verifying one archive learnt, for the bundle's checks and the reports (:mod:`strikevote.verify.bundle`,
:mod:`strikevote.report`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from strikevote.belenios.election import ElectionParams
from strikevote.belenios.tally import PartialDecryption
from strikevote.belenios.trustees import TrusteeKind
from strikevote.crypto.elgamal import Ciphertext


@dataclass
class ArchiveFacts:
    """What the verifier learnt, for bundle checks and reports."""

    election: ElectionParams | None = None
    trustees: list[TrusteeKind] = field(default_factory=list)
    credentials: int = 0
    ballots: int = 0
    counted: int = 0
    total_weight: int = 0
    result: list[list[int]] | None = None
    trackers_sample: list[str] = field(default_factory=list)
    # SHA-256 (Base64Compact) of the public credential list exactly as the Setup event's data object holds it
    credentials_fingerprint: str | None = None
    tally: list[list[Ciphertext[Any]]] | None = None  # the encrypted tally (checked by tally.encrypted-tally)
    partials: dict[int, PartialDecryption] = field(default_factory=dict)  # owner -> proven partial decryption
