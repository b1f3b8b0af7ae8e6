"""The ballots counted (``ballot.*`` beyond one ballot's own checks): each ballot checked in the worker pool
(:mod:`strikevote.verify.ballots`), then its credential in the list, not a duplicate, and the revote policy (the
last ballot counts, or a second one is refused); the counted ballots' product, for ``tally.encrypted-tally``.

Per-ballot state is fixed-size per credential, so memory does not grow with the number of ballots: for each
credential slot, the index and tracker prefix of its counted ballot; the tally is accumulated as ballots stream
by, and a ballot superseded by a revote is divided out afterwards (:meth:`BallotCounter.tally`).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from strikevote.belenios.ballot import parse_ballot
from strikevote.belenios.codec import text
from strikevote.belenios.election import ElectionParams
from strikevote.belenios.errors import FormatError
from strikevote.crypto import elgamal
from strikevote.crypto.elgamal import Ciphertext
from strikevote.crypto.hashing import sha256_b64
from strikevote.records.checks import Check, Failure
from strikevote.verify.ballots import BallotPool, CheckedBallot, ciphertext_pairs
from strikevote.verify.checks import Report
from strikevote.verify.facts import ArchiveFacts
from strikevote.verify.setup_event import Credentials
from strikevote.verify.stream import MAX_REPORTED, EventStream

# Characters of a ballot's tracker kept per credential to spot a duplicated ballot (22 base64 digits: 132 bits).
TRACKER_PREFIX = 22

Progress = Callable[[int], None]


class BallotCounter:
    """Counts the ballots of one election as they stream by."""

    def __init__(
        self,
        path: Path,
        election: ElectionParams,
        credentials: Credentials,
        report: Report,
        facts: ArchiveFacts,
        revote_policy: str,
    ) -> None:
        self.path, self.election, self.report, self.facts = path, election, report, facts
        self.credentials, self.weights = credentials.slots, credentials.weights
        self.revote_policy = revote_policy
        n = len(self.credentials)
        self.last_ballot = array("q", bytes(8 * n))  # slot -> index of its counted ballot (0: none yet)
        self.last_tracker = bytearray(
            TRACKER_PREFIX * n
        )  # slot -> TRACKER_PREFIX bytes of that ballot's tracker
        self.superseded: dict[int, tuple[int, bytes]] = {}  # ballot index -> (weight, tracker prefix)
        self.superseded_trackers: set[bytes] = set()
        self.divided_out: set[int] = set()  # the superseded ballots already divided out of ``running``
        g = election.group
        self.running: list[list[Ciphertext[Any]]] = [
            [elgamal.neutral(g) for _ in q.answers] for q in election.questions
        ]
        self.total_weight = 0
        self.failed = 0

    @property
    def next_index(self) -> int:
        """The next ballot's number: ballots are numbered across the archive, even if they come in two runs."""
        return self.facts.ballots + 1

    def count(
        self, ballots: Iterable[tuple[int, bytes]], jobs: int | None, progress: Progress | None
    ) -> None:
        """Check and count one run of ballots, then ``ballot.all``."""
        with BallotPool(self.election, jobs) as pool:
            for checked in pool.check(ballots):
                self._count(checked)
                if progress is not None:
                    progress(checked.index)
        self.report.check(
            Check.BALLOT_ALL, self.failed == 0, f"{self.facts.ballots} ballots checked, {self.failed} invalid"
        )

    def _count(self, b: CheckedBallot) -> None:
        self.facts.ballots += 1
        failed = b.failed
        slot = self.credentials.get(b.credential) if failed is None and b.credential is not None else None
        tracker = b.tracker[:TRACKER_PREFIX].encode("ascii")
        previous = self.last_ballot[slot] if slot is not None else 0
        # The same bytes twice carry the same credential, so a duplicate is that slot's ballot or one it replaced.
        if slot is not None and (
            (previous and self._tracker_of(slot) == tracker) or tracker in self.superseded_trackers
        ):
            failed = Failure(Check.BALLOT_DUPLICATE, "the same ballot appears twice")
        if failed is None and slot is None:
            failed = Failure(Check.BALLOT_CREDENTIAL, "credential not in the list")
        if failed is None and previous and self.revote_policy == "forbidden":
            failed = Failure(
                Check.BALLOT_REVOTE, "a second ballot with the same credential (revoting is forbidden)"
            )
        if failed is not None or slot is None:
            self.failed += 1
            if self.failed <= MAX_REPORTED:
                detail = failed.detail if failed is not None else ""
                self.report.fail(
                    failed.check if failed is not None else Check.BALLOT_CREDENTIAL,
                    f"ballot #{b.index} (tracker {b.tracker}) {detail}".rstrip(),
                )
            return
        weight = self.weights.get(slot, 1)
        if previous:  # last() counts: the earlier ballot is divided out of the tally at the end
            old = self._tracker_of(slot)
            self.superseded[previous] = (weight, old)
            self.superseded_trackers.add(old)
        else:
            self.facts.counted += 1
            self.total_weight += weight
        self.last_ballot[slot] = b.index
        self.last_tracker[slot * TRACKER_PREFIX : (slot + 1) * TRACKER_PREFIX] = tracker
        self._accumulate(b.choices, weight, divide=False)

    def _tracker_of(self, slot: int) -> bytes:
        return bytes(self.last_tracker[slot * TRACKER_PREFIX : (slot + 1) * TRACKER_PREFIX])

    def _accumulate(self, choices: Any, weight: int, *, divide: bool) -> None:
        g = self.election.group
        op = g.div if divide else g.mul
        for row, answer in zip(self.running, choices, strict=True):
            for j, (alpha, beta) in enumerate(answer):
                ct = elgamal.scale(g, Ciphertext(alpha, beta), weight)
                row[j] = Ciphertext(op(row[j].alpha, ct.alpha), op(row[j].beta, ct.beta))

    def tally(self) -> list[list[Ciphertext[Any]]]:
        """The product of the counted ballots: the running product, with every superseded ballot divided out
        (a second pass over the archive, only when some voter revoted).  Each is divided out once, however
        many EncryptedTally events ask (a second one is out of order, and reported as such)."""
        pending = {i: v for i, v in self.superseded.items() if i not in self.divided_out}
        if not pending:
            return self.running
        g = self.election.group
        name = self.path.name
        rescan = EventStream(self.path, Report(str(self.path)))
        index, last = 0, max(pending)
        for ev in rescan.events():
            if ev.type != "Ballot":
                continue
            index += 1
            if index > last:
                break
            raw = rescan.take(ev.payload, f"ballot #{index}")
            if index not in pending:
                continue
            weight, tracker = pending[index]
            if sha256_b64(raw)[:TRACKER_PREFIX].encode("ascii") != tracker:
                raise FormatError(
                    f"{name}: ballot #{index}", "the archive changed while it was being verified"
                )
            where = f"{name}: ballot #{index}"
            ballot = parse_ballot(g, text(raw, where), where)
            self._accumulate(ciphertext_pairs(ballot), weight, divide=True)
            self.divided_out.add(index)
        return self.running
