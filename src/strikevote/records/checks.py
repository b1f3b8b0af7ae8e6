"""The verifier's check names, each defined once, and the one failure type the checkers return.

A check's name is part of the public record: ``strikevote verify`` prints it, the bundle's report.html lists it
and tests and docs quote it, so the values below are fixed strings (``family.check``).  Code names a check by its
member (``Check.BALLOT_ELECTION``), never by the string.

Failure is signalled one way (electionguard's named sub-checks, ``chaum_pedersen.py``, taken one step further):
a checker that ran and found something wrong returns a :class:`Failure` (or a list of them), ``None`` (or an
empty list) when all is well (``BallotCheck.failed_check``, ``check_single``, ``check_factor``,
``check_result``, ``pedersen_failures``).  The proof primitives of :mod:`strikevote.crypto` stay predicates
(``verify_knowledge`` → bool): they answer one equation and know no check's name.  Input that cannot be read at all is not a failure but an exception, typed and
naming its file and field (:class:`strikevote.belenios.errors.FormatError`, :class:`~.errors.RecordError`).

A leaf module: the standard library only, so :mod:`strikevote.belenios` may import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum, unique

__all__ = ["Check", "Failure"]


@unique
class Check(StrEnum):
    """Every check name, by family (the family is the part before the dot)."""

    # archive.*: the archive file itself (strikevote.verify.stream)
    ARCHIVE_FILE_HASH = "archive.file-hash"
    ARCHIVE_EVENT_CHAIN = "archive.event-chain"
    ARCHIVE_EVENT_ORDER = "archive.event-order"
    ARCHIVE_UNREFERENCED = "archive.unreferenced"
    ARCHIVE_SETUP = "archive.setup"
    ARCHIVE_COMPLETE = "archive.complete"
    # election.*, trustees.*, credentials.*: the Setup event (strikevote.verify.setup_event, belenios.trustees)
    ELECTION_PUBLIC_KEY = "election.public-key"
    TRUSTEES_SINGLE_POK = "trustees.single-pok"
    TRUSTEES_PEDERSEN = "trustees.pedersen"
    TRUSTEES_PEDERSEN_DIALECT = "trustees.pedersen-dialect"
    TRUSTEES_PEDERSEN_CERT = "trustees.pedersen-cert"  # indexed: trustees.pedersen-cert[i]
    TRUSTEES_PEDERSEN_COEFEXPS = "trustees.pedersen-coefexps"  # indexed
    TRUSTEES_PEDERSEN_THRESHOLD = "trustees.pedersen-threshold"
    TRUSTEES_PEDERSEN_SIGNATURE = "trustees.pedersen-signature"  # indexed
    TRUSTEES_PEDERSEN_VERIFICATION_KEY = "trustees.pedersen-verification-key"  # indexed
    # (credentials.fingerprint: also against a fingerprint given out of band, strikevote.verify.bundle)
    CREDENTIALS_VALID = "credentials.valid"
    CREDENTIALS_UNIQUE = "credentials.unique"
    CREDENTIALS_FINGERPRINT = "credentials.fingerprint"
    # ballot.*: one ballot (strikevote.belenios.ballot) and the ballots together (strikevote.verify.counting)
    BALLOT_FORMAT = "ballot.format"
    BALLOT_ELECTION = "ballot.election"
    BALLOT_CANONICAL = "ballot.canonical"
    BALLOT_SIGNATURE = "ballot.signature"
    BALLOT_PROOFS = "ballot.proofs"
    BALLOT_CREDENTIAL = "ballot.credential"
    BALLOT_DUPLICATE = "ballot.duplicate"
    BALLOT_REVOTE = "ballot.revote"
    BALLOT_ALL = "ballot.all"
    # tally.*, decryption.*: the encrypted tally and the partial decryptions (strikevote.verify.decryption)
    TALLY_ENCRYPTED_TALLY = "tally.encrypted-tally"
    TALLY_NUM_TALLIED = "tally.num-tallied"
    TALLY_TOTAL_WEIGHT = "tally.total-weight"
    DECRYPTION_OWNER = "decryption.owner"
    DECRYPTION_PARTIAL = "decryption.partial"
    DECRYPTION_STRONG_PROOF = "decryption.strong-proof"
    # result.*: an archive's decrypted result, and result.json against the bundle (strikevote.verify.result)
    RESULT_RANGE = "result.range"
    RESULT_DECRYPTION = "result.decryption"
    RESULT_RESULT = "result.result"
    RESULT_LOCALS = "result.locals"
    RESULT_TURNOUT = "result.turnout"
    RESULT_POPULAR = "result.popular"
    RESULT_RULE = "result.rule"
    RESULT_DELEGATES = "result.delegates"
    RESULT_FIELD = "result.field"
    # bundle.*: the published bundle as a whole (strikevote.verify.bundle)
    BUNDLE_EXTRA_FILES = "bundle.extra-files"
    BUNDLE_DEFINITION = "bundle.definition"
    BUNDLE_ARCHIVE = "bundle.archive"
    BUNDLE_ELECTION = "bundle.election"
    BUNDLE_CREDENTIALS = "bundle.credentials"
    BUNDLE_CREDENTIALS_FINGERPRINT = "bundle.credentials-fingerprint"
    BUNDLE_TRUSTEES = "bundle.trustees"
    BUNDLE_REPORT = "bundle.report"
    BUNDLE_PROOFS = "bundle.proofs"

    @property
    def family(self) -> str:
        """``"ballot"`` for ``ballot.proofs``."""
        return self.value.split(".", 1)[0]


@dataclass(frozen=True, slots=True)
class Failure:
    """A check that ran and failed: which (``check``; ``item``, 1-based, when the check is run once per item of
    a list, printed ``name[item]``) and what was found (``detail``, empty when the name says it all)."""

    check: Check
    detail: str = ""
    item: int | None = None

    @property
    def name(self) -> str:
        """The name as printed: ``trustees.pedersen-cert[2]`` for an indexed check."""
        return self.check.value if self.item is None else f"{self.check.value}[{self.item}]"

    def __str__(self) -> str:
        return f"{self.name}: {self.detail}" if self.detail else self.name
