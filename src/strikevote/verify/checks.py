"""Named verification checks and their outcome (ElectionGuard-style: every check has a name).

A check passes or fails; a passed check may also be *incomplete*: nothing wrong was found, but something could
not be checked because the archive stops early (an election still in progress, see
:mod:`strikevote.verify.archive`).  An incomplete check does not make a report invalid, but it is never silent.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Check:
    name: str
    passed: bool
    detail: str = ""
    incomplete: bool = False


@dataclass
class Report:
    """What a verification found.  ``failures`` name every failed check; ``facts`` carry figures for reports."""

    subject: str
    checks: list[Check] = field(default_factory=list)
    facts: dict[str, object] = field(default_factory=dict)

    def check(self, name: str, passed: bool, detail: str = "") -> bool:
        self.checks.append(Check(name, passed, detail))
        return passed

    def fail(self, name: str, detail: str) -> None:
        self.check(name, False, detail)

    def note_incomplete(self, name: str, detail: str) -> None:
        """Something that could not be checked (not a failure): ``detail`` says what and why."""
        self.checks.append(Check(name, True, detail, incomplete=True))

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    @property
    def incomplete(self) -> list[Check]:
        return [c for c in self.checks if c.incomplete]

    @property
    def valid(self) -> bool:
        return not self.failures

    def extend(self, other: Report, prefix: str = "") -> None:
        for c in other.checks:
            self.checks.append(Check(f"{prefix}{c.name}", c.passed, c.detail, c.incomplete))
