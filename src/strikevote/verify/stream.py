"""The archive as a stream of events (``archive.*``): every file named by the SHA-256 of its content, events
chained by parent hash and height in a legal order, and every data object referenced by the event that follows
it.  One pass, bounded memory: see :mod:`strikevote.verify.archive` ("Data objects").
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from strikevote.belenios.archive import ArchiveEntry, Event, parse_archive_header, read_entries
from strikevote.belenios.errors import FormatError
from strikevote.records.checks import Check
from strikevote.verify.checks import Report

# Failures of one kind reported one by one before a single summary (a broken archive may have millions).
MAX_REPORTED = 20
# Data objects held while waiting for the event that references them: Belenios writes at most four before an
# event (the Setup event's election, trustees, credentials and setup data), so 16 is generous.
MAX_PENDING = 16
# The legal successors of each event (specification §"Public data"; homomorphic questions only, so no shuffles).
NEXT: dict[str | None, tuple[str, ...]] = {
    None: ("Setup",),
    "Setup": ("Ballot", "EndBallots"),
    "Ballot": ("Ballot", "EndBallots"),
    "EndBallots": ("EncryptedTally",),
    "EncryptedTally": ("PartialDecryption",),
    "PartialDecryption": ("PartialDecryption", "Result"),
    "Result": (),
}


class EventStream:
    """Records in order, with the chain checked as events go by and data objects held until referenced."""

    def __init__(self, path: Path, report: Report) -> None:
        self.path = path
        self.report = report
        self.records = read_entries(path)
        self.pending: dict[str, bytes] = {}
        self.parent: str | None = None
        self.height = -1
        self.last_type: str | None = None
        self.bad_hashes = 0
        self.chain_ok = True
        self.unreferenced = 0
        self.dropped: dict[str, None] = {}  # the last MAX_PENDING dropped, to say why a reference then fails

    def events(self) -> Iterator[Event]:
        """Yield each event once the data objects before it are pending; when the consumer asks for the next,
        the event has been checked, so whatever it left pending was not referenced (see the module docstring)."""
        for rec in self.records:
            if not rec.hash_ok:
                # Reported, then used under its name so the checks that depend on it still run.
                self.bad_hashes += 1
                if self.bad_hashes <= MAX_REPORTED:
                    self.report.fail(
                        Check.ARCHIVE_FILE_HASH, f"{rec.name_hash[:16]}…: content does not match its name"
                    )
            if rec.kind == "header":
                parse_archive_header(rec.content, f"{self.path.name}: BELENIOS")
            elif rec.kind == "data":
                if len(self.pending) >= MAX_PENDING and rec.name_hash not in self.pending:
                    oldest = next(iter(self.pending))
                    self._unreferenced(oldest, f"one of more than {MAX_PENDING} data objects before an event")
                self.pending[rec.name_hash] = rec.content
            else:
                ev = self._event(rec)
                yield ev
                for h in list(self.pending):
                    self._unreferenced(h, f"not referenced by the {ev.type} event at height {ev.height}")
        for h in list(self.pending):
            self._unreferenced(h, "after the last event")

    def _unreferenced(self, h: str, why: str) -> None:
        del self.pending[h]
        self.dropped[h] = None
        if len(self.dropped) > MAX_PENDING:
            del self.dropped[next(iter(self.dropped))]
        self.unreferenced += 1
        if self.unreferenced <= MAX_REPORTED:
            self.report.fail(Check.ARCHIVE_UNREFERENCED, f"data object {h[:16]}…: {why}")

    def _event(self, rec: ArchiveEntry) -> Event:
        ev = Event.parse(rec.content, f"{self.path.name}: {rec.name_hash}.event.json")
        if ev.parent != self.parent or ev.height != self.height + 1:
            if self.chain_ok:
                self.report.fail(
                    Check.ARCHIVE_EVENT_CHAIN,
                    f"event at height {ev.height} does not follow event {self.height}",
                )
            self.chain_ok = False
        if ev.type not in NEXT.get(self.last_type, ()):
            self.report.fail(
                Check.ARCHIVE_EVENT_ORDER,
                f"{ev.type} event at height {ev.height} after {self.last_type or 'nothing'}",
            )
        self.last_type = ev.type
        self.parent, self.height = rec.name_hash, ev.height
        return ev

    def has(self, h: str | None) -> bool:
        return h is not None and h in self.pending

    def take(self, h: str | None, what: str) -> bytes:
        if h is not None and h not in self.pending and h in self.dropped:
            raise FormatError(
                f"{self.path.name}: {what}",
                "referenced data object is not written right before the event (archive.unreferenced)",
            )
        if h is None or h not in self.pending:
            raise FormatError(
                f"{self.path.name}: {what}", "referenced data object is missing from the archive"
            )
        return self.pending.pop(h)

    def report_totals(self) -> None:
        """The ``archive.*`` checks' summary, once the stream has been read to its end."""
        self.report.check(
            Check.ARCHIVE_FILE_HASH, self.bad_hashes == 0, "every file is named by the hash of its content"
        )
        self.report.check(
            Check.ARCHIVE_EVENT_CHAIN, self.chain_ok, f"{self.height + 1} events chained by hash"
        )
        self.report.check(
            Check.ARCHIVE_UNREFERENCED,
            self.unreferenced == 0,
            "every data object is referenced by the event that follows it"
            if not self.unreferenced
            else f"{self.unreferenced} data object(s) referenced by no event",
        )


class Lookahead:
    """An iterator of events that can give one back: a run of Ballot events is read by the ballot counter,
    which hands the first event after the run back to the event loop (:func:`ballot_run`) instead of
    dispatching it itself."""

    def __init__(self, events: Iterator[Event]) -> None:
        self._events = events
        self._back: Event | None = None

    def __iter__(self) -> Lookahead:
        return self

    def __next__(self) -> Event:
        if self._back is not None:
            ev, self._back = self._back, None
            return ev
        return next(self._events)

    def give_back(self, ev: Event) -> None:
        if self._back is not None:
            raise RuntimeError("one event of lookahead only")
        self._back = ev


def ballot_run(
    first: Event, events: Lookahead, stream: EventStream, index: int
) -> Iterator[tuple[int, bytes]]:
    """The raw ballots of the run of Ballot events that starts with ``first`` (numbered from ``index``, across
    the archive); the first event after the run goes back to ``events`` for the event loop to dispatch."""
    yield index, stream.take(first.payload, f"ballot #{index}")
    for ev in events:
        if ev.type != "Ballot":
            events.give_back(ev)
            return
        index += 1
        yield index, stream.take(ev.payload, f"ballot #{index}")
