"""Writing a Belenios election archive event by event, in the order belenios-tool writes it (FORMATS.md §6): a
fixture for tests and benchmarks (the vote server writes its archives through :mod:`strikevote.services.board`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from strikevote.belenios.archive import ArchiveWriter
from strikevote.belenios.codec import dumps
from strikevote.belenios.election import ElectionParams
from strikevote.belenios.tally import (
    EncryptedTally,
    PartialDecryption,
    SizedTally,
    owned_json,
    result_json,
    tally_json,
)
from strikevote.belenios.trustees import TrusteeKind, trustees_json


class ElectionArchive:
    """A thin protocol-level wrapper over :class:`ArchiveWriter`."""

    def __init__(self, writer: ArchiveWriter, election: ElectionParams) -> None:
        self.writer = writer
        self.election = election

    @classmethod
    def create(
        cls,
        path: Path,
        election: ElectionParams,
        trustees: Sequence[TrusteeKind],
        credentials_json: str,
        *,
        timestamp: int,
        sync: bool = False,
    ) -> ElectionArchive:
        w = ArchiveWriter(path, timestamp=timestamp, sync=sync)
        e = w.add_data(election.raw)
        t = w.add_data(trustees_json(election.group, trustees))
        c = w.add_data(credentials_json)
        setup = w.add_data(dumps({"election": e, "trustees": t, "credentials": c}))
        w.add_event("Setup", setup)
        return cls(w, election)

    @classmethod
    def reopen(cls, path: Path, election: ElectionParams, *, sync: bool = False) -> ElectionArchive:
        return cls(ArchiveWriter.append(path, sync=sync), election)

    def add_ballot(self, raw: str) -> str:
        return self.writer.add_event("Ballot", self.writer.add_data(raw))

    def end_ballots(self) -> None:
        self.writer.add_event("EndBallots")

    def add_encrypted_tally(self, tally: EncryptedTally, num_tallied: int, total_weight: int) -> None:
        h = self.writer.add_data(tally_json(self.election.group, tally))
        sized = self.writer.add_data(SizedTally(num_tallied, total_weight, h).to_json())
        self.writer.add_event("EncryptedTally", sized)

    def add_partial_decryption(self, owner: int, pd: PartialDecryption) -> None:
        h = self.writer.add_data(pd.to_json(self.election.group))
        self.writer.add_event("PartialDecryption", self.writer.add_data(owned_json(owner, h)))

    def add_result(self, result: list[list[int]]) -> None:
        self.writer.add_event("Result", self.writer.add_data(result_json(result)))

    def close(self) -> None:
        self.writer.close()

    def __enter__(self) -> ElectionArchive:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
