"""After the ballots (``tally.*``, ``decryption.*``, ``result.*`` of one archive): the encrypted tally equals the
product of the counted ballots, with num_tallied and total_weight; each partial decryption's owner and
Chaum–Pedersen proofs; every published count between 0 and the total weight (``result.range``: g^m fixes m only
modulo q), and the published result decrypts the tally (g^m = β / F).

The Belenios decryption proofs do not bind the ciphertext (DESIGN.md §12): a bundle's strong proofs are checked
by :func:`strikevote.verify.bundle.check_strong_proofs` from the facts gathered here.
"""

from __future__ import annotations

from typing import Any

from strikevote.belenios.archive import Event
from strikevote.belenios.codec import text
from strikevote.belenios.election import ElectionParams
from strikevote.belenios.errors import CombinationError
from strikevote.belenios.tally import (
    PartialDecryption,
    SizedTally,
    check_factor,
    check_result,
    combine_decryptions,
    parse_owned,
    parse_partial_decryption,
    parse_result,
    parse_tally,
    tally_json,
)
from strikevote.belenios.trustees import decryption_keys
from strikevote.crypto.elgamal import Ciphertext
from strikevote.records.checks import Check
from strikevote.verify.checks import Report
from strikevote.verify.counting import BallotCounter
from strikevote.verify.facts import ArchiveFacts
from strikevote.verify.stream import EventStream


class Decryption:
    """The EncryptedTally, PartialDecryption and Result events of one election."""

    def __init__(
        self,
        stream: EventStream,
        election: ElectionParams,
        counter: BallotCounter,
        report: Report,
        facts: ArchiveFacts,
    ) -> None:
        self.stream, self.election, self.counter = stream, election, counter
        self.report, self.facts = report, facts
        self.tally: list[list[Ciphertext[Any]]] | None = None
        self.sized: SizedTally | None = None
        self.partials: dict[int, PartialDecryption] = facts.partials
        # owned partial decryption (data object hash) -> its owner, and partial decryption hash -> its owner:
        # one small entry per PartialDecryption event, to name a repeated one (the data object is gone by then)
        self.owned_seen: dict[str, int] = {}
        self.pd_seen: dict[str, int] = {}

    def event(self, ev: Event) -> None:
        """One event after the ballots (EndBallots carries nothing to check)."""
        name, e = self.stream.path.name, self.election
        if ev.type == "EncryptedTally":
            where = f"{name}: sized_encrypted_tally"
            self.sized = SizedTally.parse(
                text(self.stream.take(ev.payload, "sized encrypted tally"), where), where
            )
            where = f"{name}: encrypted_tally"
            raw = text(self.stream.take(self.sized.encrypted_tally, "encrypted tally"), where)
            self.tally = self.facts.tally = parse_tally(e, raw, where)
            self._check_tally(self.sized, raw)
        elif ev.type == "PartialDecryption":
            self._partial_decryption(ev)
        elif ev.type == "Result":
            where = f"{name}: result"
            self._check_result(parse_result(e, text(self.stream.take(ev.payload, "result"), where), where))

    def _check_tally(self, sized: SizedTally, raw: str) -> None:
        e = self.election
        running = self.counter.tally()
        counted, total_weight = self.facts.counted, self.counter.total_weight
        self.facts.total_weight = total_weight
        self.report.check(
            Check.TALLY_ENCRYPTED_TALLY,
            tally_json(e.group, running) == raw,
            f"product of the {counted} counted ballots",
        )
        self.report.check(
            Check.TALLY_NUM_TALLIED,
            sized.num_tallied == counted,
            f"{sized.num_tallied} declared, {counted} counted",
        )
        self.report.check(
            Check.TALLY_TOTAL_WEIGHT,
            sized.total_weight == total_weight,
            f"{sized.total_weight} declared, {total_weight} computed",
        )

    def _partial_decryption(self, ev: Event) -> None:
        e, name = self.election, self.stream.path.name
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

    def _check_result(self, result: list[list[int]]) -> None:
        e = self.election
        if self.tally is None:
            self.report.fail(Check.ARCHIVE_EVENT_ORDER, "result before the encrypted tally")
            return
        self.facts.result = result
        # g^m fixes m only modulo q: without this bound a count of m + q would pass (belenios-tool 3.0 refuses it)
        bound = self.sized.total_weight if self.sized is not None else self.counter.total_weight
        out_of_range = [m for row in result for m in row if m > bound]
        if out_of_range:
            self.report.fail(
                Check.RESULT_RANGE, f"published count {out_of_range[0]} exceeds the total weight {bound}"
            )
            return
        self.report.check(Check.RESULT_RANGE, True, f"every published count is between 0 and {bound}")
        try:
            factors = combine_decryptions(e, self.facts.trustees, self.partials)
        except CombinationError as exc:
            self.report.fail(Check.RESULT_DECRYPTION, str(exc))
            return
        self.report.check(
            Check.RESULT_RESULT,
            check_result(e, self.tally, factors, result) is None,
            f"published result {result} decrypts the encrypted tally",
        )
