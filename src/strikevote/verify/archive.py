"""Independent verification of one Belenios archive (what ``belenios-tool election verify`` checks, and more).

Imports only :mod:`strikevote.crypto`, :mod:`strikevote.belenios` and :mod:`strikevote.records`.  One streaming
pass over the archive, one event at a time (:func:`verify_archive` is the event loop), each family of checks in
its own module:

1. ``archive.*``      (:mod:`~strikevote.verify.stream`) every file named by the SHA-256 of its content; events chained by parent hash and height,
                      in a legal order (Setup, Ballot*, EndBallots, EncryptedTally, PartialDecryption*, Result);
                      every data object referenced by the event that follows it (``archive.unreferenced``);
                      how far the election got (``archive.complete``, below).
2. ``election.*``     (2–4: :mod:`~strikevote.verify.setup_event`) election.json well-formed; its key equals the product of the trustees' keys.
3. ``trustees.*``     every Single proof of knowledge; every Pedersen certificate, coefexps, signature and
                      verification key (specification §"Threshold decryption"); a Pedersen record all in the
                      2.0 or all in the 3.0 dialect (``trustees.pedersen-dialect``: no downgrade).
4. ``credentials.*``  every public credential a valid, distinct group element.
5. ``ballot.*``       (:mod:`~strikevote.verify.ballots`, :mod:`~strikevote.verify.counting`) per ballot: well-formed and canonical, right election, credential in the list, signature,
                      0/1 and overall proofs; revotes (last one counts, or refused when the policy forbids them).
6. ``tally.*``        (6–8: :mod:`~strikevote.verify.decryption`) the encrypted tally equals the product of the counted ballots; num_tallied, total_weight.
7. ``decryption.*``   each partial decryption's owner and Chaum–Pedersen proofs.
8. ``result.*``       every count between 0 and the total weight (``result.range``: g^m fixes m only modulo
                      q), and the published result decrypts the tally (g^m = β / F).

The Belenios decryption proofs checked in 7 do not bind the ciphertext (DESIGN.md §12): a bundle's strong
proofs are checked by :func:`strikevote.verify.bundle.check_strong_proofs` from the facts gathered here.

Data objects.  Belenios writes the data objects of an event immediately before it, and ``belenios-tool election
verify`` starts with ``fsck``, which rebuilds the archive from its last event in exactly that layout and refuses
any other byte for byte (``src/lib/core/archive.ml`` ``MakeArchiver.write_archive``, ``src/tool/tool_events.ml``).
So a data object still unreferenced once the event after it has been checked is dropped and reported as
``archive.unreferenced``, and at most ``MAX_PENDING`` data objects are held between two events: memory stays
bounded whatever the archive holds.  Partial decryptions are the exception where a second event may name the same
data object as an earlier one: that is reported as the repeated decryption it is (``decryption.owner``).

An incomplete archive.  Every prefix of the legal event sequence is an election in progress, and belenios-tool
accepts it: voting still open (Setup, Ballot*), ballots closed but not tallied (EndBallots), or a tally that
trustees are still decrypting (EncryptedTally, PartialDecryption*); strikevote itself publishes such archives
(``strikevote tally close`` publishes the encrypted tally before any trustee decrypts).  So an incomplete archive
whose every check passes is *valid but incomplete*: not a failure, but an ``archive.complete`` check marked
incomplete (``Outcome.incomplete``) saying what could not be checked, e.g. "the archive has no Result: the tally was
not decrypted".  ``strikevote verify`` prints it and says INCOMPLETE on its last line; it exits 0 unless
``--require-complete`` is given, and ``facts.result`` stays None (a bundle then fails ``result.locals``).  A
complete archive passes ``archive.complete``.
"""

from __future__ import annotations

from pathlib import Path

from strikevote.belenios.errors import FormatError
from strikevote.records.checks import Check
from strikevote.verify.checks import Report
from strikevote.verify.counting import BallotCounter, Progress
from strikevote.verify.decryption import Decryption
from strikevote.verify.facts import ArchiveFacts
from strikevote.verify.setup_event import check_setup
from strikevote.verify.stream import EventStream, Lookahead, ballot_run

__all__ = ["ArchiveFacts", "verify_archive"]


def verify_archive(
    path: Path,
    *,
    jobs: int | None = None,
    revote_policy: str = "last-counts",
    progress: Progress | None = None,
) -> tuple[Report, ArchiveFacts]:
    """Verify ``path``.  Raises ArchiveError / UnreadableError when it cannot be read at all."""
    report = Report(str(path))
    facts = ArchiveFacts()
    stream = EventStream(path, report)
    events = Lookahead(stream.events())
    seen: set[str] = set()  # event types seen, for archive.complete
    counter: BallotCounter | None = None
    decryption: Decryption | None = None
    for ev in events:
        seen.add(ev.type)
        if ev.type == "Setup":
            election, credentials = check_setup(stream, ev, report, facts, jobs)
            counter = BallotCounter(path, election, credentials, report, facts, revote_policy)
            decryption = Decryption(stream, election, counter, report, facts)
        elif counter is None or decryption is None:
            what = "ballots" if ev.type == "Ballot" else f"{ev.type} event"
            raise FormatError(path.name, f"{what} before the Setup event")
        elif ev.type == "Ballot":
            # The run of ballots starting here; the event after it comes back to this loop.
            counter.count(ballot_run(ev, events, stream, counter.next_index), jobs, progress)
        else:
            decryption.event(ev)
    if facts.election is None:
        report.fail(Check.ARCHIVE_SETUP, "the archive has no Setup event")
    report.facts.update(
        uuid=facts.election.uuid if facts.election else None,
        ballots=facts.ballots,
        counted=facts.counted,
        result=facts.result,
    )
    stream.report_totals()
    if facts.election is not None:  # otherwise archive.setup has failed
        _completeness(report, facts, seen)
    return report, facts


def _completeness(report: Report, facts: ArchiveFacts, seen: set[str]) -> None:
    """``archive.complete``: passed with a Result; otherwise how far the election got (module docstring)."""
    if "Result" in seen:
        report.check(Check.ARCHIVE_COMPLETE, True, "the archive runs from Setup to its Result")
        return
    if "EncryptedTally" in seen:
        why = (
            f"the archive has no Result: the tally was not decrypted "
            f"({len(facts.partials)} partial decryption(s) checked)"
        )
    elif "EndBallots" in seen:
        why = "the archive has no EncryptedTally: the ballots are closed but were not tallied"
    else:
        why = f"the election is still open (no EndBallots): {facts.ballots} ballot(s) checked so far"
    report.note_incomplete(Check.ARCHIVE_COMPLETE, f"{why}; no result to check")
