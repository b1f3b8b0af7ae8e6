"""What a verification found: the outcome of every named check (ElectionGuard-style: every check has a name,
defined once in :class:`strikevote.records.checks.Check`).

A check passes or fails; a passed check may also be *incomplete*: nothing wrong was found, but something could
not be checked because the archive stops early (an election still in progress, see
:mod:`strikevote.verify.archive`).  An incomplete check does not make a report invalid, but it is never silent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from strikevote.records.checks import Check, Failure


@dataclass
class Outcome:
    """One check's outcome; ``name`` as printed (``ballot.proofs``, ``trustees.pedersen-cert[2]``, and
    ``<local>/<name>`` for a local's archive in a bundle's report)."""

    name: str
    passed: bool
    detail: str = ""
    incomplete: bool = False


@dataclass
class Report:
    """What a verification found.  ``failures`` name every failed check; ``facts`` carry figures for reports."""

    subject: str
    checks: list[Outcome] = field(default_factory=list)
    facts: dict[str, object] = field(default_factory=dict)

    def check(self, check: Check, passed: bool, detail: str = "") -> bool:
        self.checks.append(Outcome(check.value, passed, detail))
        return passed

    def fail(self, check: Check, detail: str) -> None:
        self.check(check, False, detail)

    def add(self, failure: Failure, context: str = "") -> None:
        """Record a checker's :class:`Failure`; ``context`` (when given) replaces its detail."""
        self.checks.append(Outcome(failure.name, False, context or failure.detail))

    def note_incomplete(self, check: Check, detail: str) -> None:
        """Something that could not be checked (not a failure): ``detail`` says what and why."""
        self.checks.append(Outcome(check.value, True, detail, incomplete=True))

    @property
    def failures(self) -> list[Outcome]:
        return [c for c in self.checks if not c.passed]

    @property
    def incomplete(self) -> list[Outcome]:
        return [c for c in self.checks if c.incomplete]

    @property
    def valid(self) -> bool:
        return not self.failures

    def extend(self, other: Report, prefix: str = "") -> None:
        for c in other.checks:
            self.checks.append(Outcome(f"{prefix}{c.name}", c.passed, c.detail, c.incomplete))
