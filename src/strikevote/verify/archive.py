"""Independent verification of one Belenios archive (what ``belenios-tool election verify`` checks, and more).

Imports only :mod:`strikevote.crypto` and :mod:`strikevote.belenios`.  One streaming pass over the archive:

1. ``archive.*``      every file named by the SHA-256 of its content; events chained by parent hash and height,
                      in a legal order (Setup, Ballot*, EndBallots, EncryptedTally, PartialDecryption*, Result);
                      every data object referenced by the event that follows it (``archive.unreferenced``);
                      how far the election got (``archive.complete``, below).
2. ``election.*``     election.json well-formed; its key equals the product of the trustees' keys.
3. ``trustees.*``     every Single proof of knowledge; every Pedersen certificate, coefexps, signature and
                      verification key (specification §"Threshold decryption"); a Pedersen record all in the
                      2.0 or all in the 3.0 dialect (``trustees.pedersen-dialect``: no downgrade).
4. ``credentials.*``  every public credential a valid, distinct group element.
5. ``ballot.*``       per ballot: well-formed and canonical, right election, credential in the list, signature,
                      0/1 and overall proofs; revotes (last one counts, or refused when the policy forbids them).
6. ``tally.*``        the encrypted tally equals the product of the counted ballots; num_tallied, total_weight.
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
incomplete (``Check.incomplete``) saying what could not be checked, e.g. "the archive has no Result: the tally was
not decrypted".  ``strikevote verify`` prints it and says INCOMPLETE on its last line; it exits 0 unless
``--require-complete`` is given, and ``facts.result`` stays None (a bundle then fails ``result.locals``).  A
complete archive passes ``archive.complete``.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from strikevote.belenios.archive import Event, Record, parse_archive_header, read_records
from strikevote.belenios.ballot import parse_ballot
from strikevote.belenios.codec import check_object, decimal, get_list, loads, text
from strikevote.belenios.election import Election
from strikevote.belenios.errors import CombinationError, FormatError
from strikevote.belenios.tally import (
    PartialDecryption,
    SizedTally,
    check_factor,
    check_result,
    combine,
    parse_owned,
    parse_partial_decryption,
    parse_result,
    parse_tally,
    tally_json,
)
from strikevote.belenios.trustees import (
    Single,
    TrusteeKind,
    check_single,
    combined_public_key,
    decryption_keys,
    parse_trustees,
    pedersen_failures,
)
from strikevote.crypto import elgamal
from strikevote.crypto.elgamal import Ciphertext
from strikevote.crypto.hashing import sha256_b64
from strikevote.records.checks import Check, Failure
from strikevote.verify.ballots import BallotPool, CheckedBallot, ciphertext_pairs, invalid_credentials
from strikevote.verify.checks import Report

MAX_REPORTED_BALLOTS = 20
# Data objects held while waiting for the event that references them: Belenios writes at most four before an
# event (the Setup event's election, trustees, credentials and setup data), so 16 is generous.
MAX_PENDING = 16
# A credential's weight: Belenios caps an election's total weight at 10^11 (``Weight.max_expanded_weight``,
# ``src/lib/core/common.ml``), so no weight has more than 12 digits.
MAX_WEIGHT_DIGITS = 12
# Characters of a ballot's tracker kept per credential to spot a duplicated ballot (22 base64 digits: 132 bits).
TRACKER_PREFIX = 22
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

Progress = Callable[[int], None]


@dataclass
class ArchiveFacts:
    """What the verifier learnt, for bundle checks and reports."""

    election: Election | None = None
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


class _Stream:
    """Records in order, with the chain checked as events go by and data objects held until referenced."""

    def __init__(self, path: Path, report: Report) -> None:
        self.path = path
        self.report = report
        self.records = read_records(path)
        self.pending: dict[str, bytes] = {}
        self.parent: str | None = None
        self.height = -1
        self.last_type: str | None = None
        self.bad_hashes = 0
        self.chain_ok = True
        self.unreferenced = 0
        self.dropped: dict[str, None] = {}  # the last MAX_PENDING dropped, to say why a reference then fails

    def events(self) -> Iterator[tuple[Event, str]]:
        """Yield each event once the data objects before it are pending; when the consumer asks for the next,
        the event has been checked, so whatever it left pending was not referenced (see the module docstring)."""
        for rec in self.records:
            if not rec.hash_ok:
                # Reported, then used under its name so the checks that depend on it still run.
                self.bad_hashes += 1
                if self.bad_hashes <= MAX_REPORTED_BALLOTS:
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
                yield ev, rec.name_hash
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
        if self.unreferenced <= MAX_REPORTED_BALLOTS:
            self.report.fail(Check.ARCHIVE_UNREFERENCED, f"data object {h[:16]}…: {why}")

    def _event(self, rec: Record) -> Event:
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
    stream = _Stream(path, report)
    events = stream.events()
    state = _Verifier(stream, report, facts, revote_policy, jobs)
    for ev, _h in events:
        state.seen.add(ev.type)
        if ev.type == "Setup":
            state.setup(ev)
        elif ev.type == "Ballot":
            state.ballots(ev, events, jobs, progress)
        else:
            state.after_ballots(ev)
    state.finish()
    report.check(
        Check.ARCHIVE_FILE_HASH, stream.bad_hashes == 0, "every file is named by the hash of its content"
    )
    report.check(Check.ARCHIVE_EVENT_CHAIN, stream.chain_ok, f"{stream.height + 1} events chained by hash")
    report.check(
        Check.ARCHIVE_UNREFERENCED,
        stream.unreferenced == 0,
        "every data object is referenced by the event that follows it"
        if not stream.unreferenced
        else f"{stream.unreferenced} data object(s) referenced by no event",
    )
    state.completeness()
    return report, facts


class _Verifier:
    """The verifier's state.  Per-ballot state is fixed-size per credential, so memory does not grow with the
    number of ballots: for each credential slot, the index and tracker prefix of its counted ballot; the tally is
    accumulated as ballots stream by, and a ballot superseded by a revote is divided out afterwards."""

    def __init__(
        self,
        stream: _Stream,
        report: Report,
        facts: ArchiveFacts,
        revote_policy: str,
        jobs: int | None = None,
    ) -> None:
        self.stream, self.report, self.facts = stream, report, facts
        self.revote_policy = revote_policy
        self.jobs = jobs
        self.election: Election | None = None
        self.credentials: dict[str, int] = {}  # public credential -> slot
        self.weights: dict[int, int] = {}  # slot -> weight, only where it is not 1
        self.last_ballot = array("q")  # slot -> index of its counted ballot (0: none yet)
        self.last_tracker = bytearray()  # slot -> TRACKER_PREFIX bytes of that ballot's tracker
        self.superseded: dict[int, tuple[int, bytes]] = {}  # ballot index -> (weight, tracker prefix)
        self.superseded_trackers: set[bytes] = set()
        self.running: list[list[Ciphertext[Any]]] = []
        self.total_weight = 0
        self.tally: list[list[Ciphertext[Any]]] | None = None
        self.sized: SizedTally | None = None
        self.partials: dict[int, PartialDecryption] = facts.partials
        # owned partial decryption (data object hash) -> its owner, and partial decryption hash -> its owner:
        # one small entry per PartialDecryption event, to name a repeated one (the data object is gone by then)
        self.owned_seen: dict[str, int] = {}
        self.pd_seen: dict[str, int] = {}
        self.seen: set[str] = set()  # event types seen, for archive.complete
        self.failed_ballots = 0

    # --- setup ----------------------------------------------------------------------------------------------------
    def setup(self, ev: Event) -> None:
        name = self.stream.path.name
        setup = check_object(
            loads(self.stream.take(ev.payload, "setup data"), f"{name}: setup_data"),
            f"{name}: setup_data",
            ("election", "trustees", "credentials"),
        )
        where = f"{name}: election.json"
        election = Election.parse(text(self.stream.take(setup["election"], "election"), where), where)
        g = election.group
        where = f"{name}: trustees.json"
        trustees = parse_trustees(g, text(self.stream.take(setup["trustees"], "trustees"), where), where)
        self.election = self.facts.election = election
        self.facts.trustees = trustees
        for i, t in enumerate(trustees):
            if isinstance(t, Single):
                self.report.check(
                    Check.TRUSTEES_SINGLE_POK,
                    check_single(g, t.key) is None,
                    f"trustee {i + 1}: proof of knowledge",
                )
            else:
                failures = pedersen_failures(g, t)
                for f in failures:
                    self.report.add(f, f"threshold group {i + 1}")
                if not failures:
                    self.report.check(
                        Check.TRUSTEES_PEDERSEN, True, f"{t.threshold}-of-{len(t.certs)} threshold keys"
                    )
        self.report.check(
            Check.ELECTION_PUBLIC_KEY,
            g.eq(election.public_key, combined_public_key(g, trustees)),
            "the election key is the product of the trustees' keys",
        )
        where = f"{name}: public credentials"
        raw_creds = self.stream.take(setup["credentials"], "credentials")
        self.facts.credentials_fingerprint = sha256_b64(raw_creds)
        creds = get_list(loads(raw_creds, where), None, where)
        entries: list[tuple[str, str]] = []  # (credential, weight as written, "" when absent)
        for i, c in enumerate(creds):
            if not isinstance(c, str):
                raise FormatError(f"{where}[{i}]", "expected a string")
            cred, _, weight_s = c.partition(",")
            entries.append((cred, weight_s))
        invalid = invalid_credentials(g.name, [cred for cred, _ in entries], self.jobs)
        bad = 0
        for i, (cred, weight_s) in enumerate(entries):
            weight = 1
            if weight_s:
                weight = decimal(weight_s, f"{where}[{i}] weight", max_digits=MAX_WEIGHT_DIGITS)
                if weight < 1:
                    raise FormatError(f"{where}[{i}] weight", "must be at least 1")
            if i in invalid:
                bad += 1
                self.report.fail(Check.CREDENTIALS_VALID, f"credential {i + 1}: {invalid[i]}")
                continue
            if cred in self.credentials:
                self.report.fail(Check.CREDENTIALS_UNIQUE, f"credential {i + 1} is listed twice")
                continue
            slot = len(self.credentials)
            self.credentials[cred] = slot
            if weight != 1:
                self.weights[slot] = weight
        self.facts.credentials = n = len(self.credentials)
        self.last_ballot = array("q", bytes(8 * n))
        self.last_tracker = bytearray(TRACKER_PREFIX * n)
        self.running = [[elgamal.neutral(g) for _ in q.answers] for q in election.questions]
        if not bad:
            self.report.check(
                Check.CREDENTIALS_VALID, True, f"{len(creds)} public credentials, all valid group elements"
            )

    # --- ballots ----------------------------------------------------------------------------------------------------
    def ballots(
        self, first: Event, events: Iterator[tuple[Event, str]], jobs: int | None, progress: Progress | None
    ) -> None:
        if self.election is None:
            raise FormatError(self.stream.path.name, "ballots before the Setup event")
        next_event: list[tuple[Event, str]] = []

        def raw_ballots() -> Iterator[tuple[int, bytes]]:
            index = self.facts.ballots + 1  # numbered across the archive, even if ballots come in two runs
            yield index, self.stream.take(first.payload, f"ballot #{index}")
            for ev, h in events:
                self.seen.add(ev.type)
                if ev.type != "Ballot":
                    next_event.append((ev, h))
                    return
                index += 1
                yield index, self.stream.take(ev.payload, f"ballot #{index}")

        with BallotPool(self.election, jobs) as pool:
            for checked in pool.check(raw_ballots()):
                self._count(checked)
                if progress is not None:
                    progress(checked.index)
        ok = self.failed_ballots == 0
        self.report.check(
            Check.BALLOT_ALL, ok, f"{self.facts.ballots} ballots checked, {self.failed_ballots} invalid"
        )
        for ev, _h in next_event:
            self.after_ballots(ev)

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
            self.failed_ballots += 1
            if self.failed_ballots <= MAX_REPORTED_BALLOTS:
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
        g = self._group()
        op = g.div if divide else g.mul
        for row, answer in zip(self.running, choices, strict=True):
            for j, (alpha, beta) in enumerate(answer):
                ct = elgamal.scale(g, Ciphertext(alpha, beta), weight)
                row[j] = Ciphertext(op(row[j].alpha, ct.alpha), op(row[j].beta, ct.beta))

    def _group(self) -> Any:
        if self.election is None:
            raise FormatError(self.stream.path.name, "ballots before the Setup event")
        return self.election.group

    def _divide_out_superseded(self) -> None:
        """Second pass, only when some voter revoted: divide each superseded ballot out of the running tally."""
        if not self.superseded:
            return
        g = self._group()
        name = self.stream.path.name
        rescan = _Stream(self.stream.path, Report(str(self.stream.path)))
        index, last = 0, max(self.superseded)
        for ev, _h in rescan.events():
            if ev.type != "Ballot":
                continue
            index += 1
            if index > last:
                break
            raw = rescan.take(ev.payload, f"ballot #{index}")
            if index not in self.superseded:
                continue
            weight, tracker = self.superseded[index]
            if sha256_b64(raw)[:TRACKER_PREFIX].encode("ascii") != tracker:
                raise FormatError(
                    f"{name}: ballot #{index}", "the archive changed while it was being verified"
                )
            where = f"{name}: ballot #{index}"
            ballot = parse_ballot(g, text(raw, where), where)
            self._accumulate(ciphertext_pairs(ballot), weight, divide=True)

    # --- tally, decryption, result --------------------------------------------------------------------------------
    def after_ballots(self, ev: Event) -> None:
        name = self.stream.path.name
        e = self.election
        if e is None:
            raise FormatError(name, f"{ev.type} event before the Setup event")
        self.seen.add(ev.type)
        if ev.type == "EncryptedTally":
            where = f"{name}: sized_encrypted_tally"
            self.sized = SizedTally.parse(
                text(self.stream.take(ev.payload, "sized encrypted tally"), where), where
            )
            where = f"{name}: encrypted_tally"
            raw = text(self.stream.take(self.sized.encrypted_tally, "encrypted tally"), where)
            self.tally = self.facts.tally = parse_tally(e, raw, where)
            self._check_tally(raw)
        elif ev.type == "PartialDecryption":
            self._partial_decryption(ev)
        elif ev.type == "Result":
            where = f"{name}: result"
            self._check_result(parse_result(e, text(self.stream.take(ev.payload, "result"), where), where))

    def _partial_decryption(self, ev: Event) -> None:
        e, name = self.election, self.stream.path.name
        if e is None:
            raise FormatError(name, f"{ev.type} event before the Setup event")
        h = ev.payload
        if h is not None and h in self.owned_seen and not self.stream.has(h):
            # The event repeats an earlier one without its data objects written again (belenios-tool rewrites
            # them before every event); taking it as the repetition it is names the right check.
            owner = self.owned_seen[h]
            self.report.fail(
                Check.DECRYPTION_OWNER, f"two partial decryptions from trustee {owner} (the same data object)"
            )
            return
        where = f"{name}: owned_partial_decryption"
        owner, payload = parse_owned(text(self.stream.take(h, "owned partial decryption"), where), where)
        if h is not None:
            self.owned_seen[h] = owner
        keys = {tid: pk for tid, _t, _i, pk in decryption_keys(self.facts.trustees)}
        if payload in self.pd_seen and not self.stream.has(payload):
            first = self.pd_seen[payload]
            if owner not in keys:
                self.report.fail(Check.DECRYPTION_OWNER, f"partial decryption from unknown trustee {owner}")
            elif owner == first or owner in self.partials:
                self.report.fail(Check.DECRYPTION_OWNER, f"two partial decryptions from trustee {owner}")
            else:
                self.report.fail(
                    Check.DECRYPTION_PARTIAL, f"trustee {owner}: the partial decryption of trustee {first}"
                )
            return
        where = f"{name}: partial_decryption"
        pd = parse_partial_decryption(e, text(self.stream.take(payload, "partial decryption"), where), where)
        self.pd_seen[payload] = owner
        if owner not in keys:
            self.report.fail(Check.DECRYPTION_OWNER, f"partial decryption from unknown trustee {owner}")
        elif owner in self.partials:
            self.report.fail(Check.DECRYPTION_OWNER, f"two partial decryptions from trustee {owner}")
        elif self.tally is None:
            self.report.fail(Check.ARCHIVE_EVENT_ORDER, "partial decryption before the encrypted tally")
        elif check_factor(e, self.tally, keys[owner], pd) is not None:
            self.report.fail(Check.DECRYPTION_PARTIAL, f"trustee {owner}: invalid decryption proof")
        else:
            self.partials[owner] = pd
            self.report.check(Check.DECRYPTION_PARTIAL, True, f"trustee {owner}: decryption factors proven")

    def _check_tally(self, raw: str) -> None:
        e = self.election
        if e is None or self.sized is None:
            return
        self._divide_out_superseded()
        counted, total_weight = self.facts.counted, self.total_weight
        self.facts.total_weight = total_weight
        self.report.check(
            Check.TALLY_ENCRYPTED_TALLY,
            tally_json(e.group, self.running) == raw,
            f"product of the {counted} counted ballots",
        )
        self.report.check(
            Check.TALLY_NUM_TALLIED,
            self.sized.num_tallied == counted,
            f"{self.sized.num_tallied} declared, {counted} counted",
        )
        self.report.check(
            Check.TALLY_TOTAL_WEIGHT,
            self.sized.total_weight == total_weight,
            f"{self.sized.total_weight} declared, {total_weight} computed",
        )

    def _check_result(self, result: list[list[int]]) -> None:
        e = self.election
        if e is None or self.tally is None:
            self.report.fail(Check.ARCHIVE_EVENT_ORDER, "result before the encrypted tally")
            return
        self.facts.result = result
        # g^m fixes m only modulo q: without this bound a count of m + q would pass (belenios-tool 3.0 refuses it)
        bound = self.sized.total_weight if self.sized is not None else self.total_weight
        out_of_range = [m for row in result for m in row if m > bound]
        if out_of_range:
            self.report.fail(
                Check.RESULT_RANGE, f"published count {out_of_range[0]} exceeds the total weight {bound}"
            )
            return
        self.report.check(Check.RESULT_RANGE, True, f"every published count is between 0 and {bound}")
        try:
            factors = combine(e, self.facts.trustees, self.partials)
        except CombinationError as exc:
            self.report.fail(Check.RESULT_DECRYPTION, str(exc))
            return
        self.report.check(
            Check.RESULT_RESULT,
            check_result(e, self.tally, factors, result) is None,
            f"published result {result} decrypts the encrypted tally",
        )

    def completeness(self) -> None:
        """``archive.complete``: passed with a Result; otherwise how far the election got (module docstring)."""
        if self.election is None:
            return  # archive.setup has failed
        seen = self.seen
        if "Result" in seen:
            self.report.check(Check.ARCHIVE_COMPLETE, True, "the archive runs from Setup to its Result")
            return
        if "EncryptedTally" in seen:
            why = (
                f"the archive has no Result: the tally was not decrypted "
                f"({len(self.partials)} partial decryption(s) checked)"
            )
        elif "EndBallots" in seen:
            why = "the archive has no EncryptedTally: the ballots are closed but were not tallied"
        else:
            why = f"the election is still open (no EndBallots): {self.facts.ballots} ballot(s) checked so far"
        self.report.note_incomplete(Check.ARCHIVE_COMPLETE, f"{why}; no result to check")

    def finish(self) -> None:
        if self.election is None:
            self.report.fail(Check.ARCHIVE_SETUP, "the archive has no Setup event")
        self.report.facts.update(
            uuid=self.election.uuid if self.election else None,
            ballots=self.facts.ballots,
            counted=self.facts.counted,
            result=self.facts.result,
        )
