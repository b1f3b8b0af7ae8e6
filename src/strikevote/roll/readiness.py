"""Per-local readiness report and the chase list: who to contact so they can vote.

Locals sort naturally (``"44" < "80" < "600"``); a "TOTAL" row is added only for display.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Final

from strikevote.roll.eligibility import ExclusionReason
from strikevote.roll.model import Member
from strikevote.roll.snapshot import Snapshot

if TYPE_CHECKING:
    from rich.table import Table

#: What a member must do to fix each fixable reason. Members not in good standing are a matter for their
#: local's officers, so they are not on the chase list.
ACTION_REGISTER_EMAIL: Final = "register your email"
ACTION_PAY_DUES: Final = "get current on dues"
_ACTIONS: Final = {
    ExclusionReason.DUES_ARREARS: ACTION_PAY_DUES,
    ExclusionReason.NO_EMAIL: ACTION_REGISTER_EMAIL,
}

READINESS_COLUMNS: Final = (
    "local",
    "members",
    "eligible",
    "excluded",
    "no_email",
    "in_arrears",
    "not_in_good_standing",
)
TOTAL_LABEL: Final = "TOTAL"
# Explicit line breaks keep the table within 80 columns without Rich cutting words short ("Eligib…").
_HEADINGS: Final = (
    "Members",
    "Eligible",
    "%\nelig.",
    "Excluded",
    "No\nemail",
    "In\narrears",
    "Not in\ngood\nstanding",
)

_DIGITS = re.compile(r"(\d+)")


def local_sort_key(local: str) -> tuple[tuple[int | str, ...], str]:
    """Natural sort key: digit runs compare as numbers (``"80" < "600"``), text case-insensitively."""
    # re.split with a capturing group alternates text (even index) and digits (odd index), so two keys
    # never compare an int with a str.
    parts = _DIGITS.split(local)
    return tuple(int(p) if i % 2 else p.casefold() for i, p in enumerate(parts)), local


@dataclass(frozen=True)
class ReadinessRow:
    """Counts for one local. A member can be excluded for several reasons, so the three reason columns
    may add up to more than ``excluded``."""

    local: str
    members: int
    eligible: int
    excluded: int
    no_email: int
    in_arrears: int
    not_in_good_standing: int

    @property
    def eligible_share(self) -> float:
        """Eligible members as a fraction of the local's members (0.0 for an empty local)."""
        return self.eligible / self.members if self.members else 0.0


def readiness_rows(snapshot: Snapshot, locals_: Iterable[str] = ()) -> list[ReadinessRow]:
    """One row per local on the roll (plus any in ``locals_`` that have no members), sorted by local."""
    counts: dict[str, list[int]] = {local: [0] * 6 for local in locals_}
    for member in snapshot.eligible:
        row = counts.setdefault(member.local, [0] * 6)
        row[0] += 1
        row[1] += 1
    for exclusion in snapshot.excluded:
        row = counts.setdefault(exclusion.member.local, [0] * 6)
        row[0] += 1
        row[2] += 1
        row[3] += ExclusionReason.NO_EMAIL in exclusion.reasons
        row[4] += ExclusionReason.DUES_ARREARS in exclusion.reasons
        row[5] += ExclusionReason.NOT_IN_GOOD_STANDING in exclusion.reasons
    return [ReadinessRow(local, *counts[local]) for local in sorted(counts, key=local_sort_key)]


def readiness_total(rows: Iterable[ReadinessRow]) -> ReadinessRow:
    """Column sums, labelled :data:`TOTAL_LABEL`."""
    sums = [0] * 6
    for row in rows:
        for i, value in enumerate(_counts(row)):
            sums[i] += value
    return ReadinessRow(TOTAL_LABEL, *sums)


def _counts(row: ReadinessRow) -> tuple[int, int, int, int, int, int]:
    return (row.members, row.eligible, row.excluded, row.no_email, row.in_arrears, row.not_in_good_standing)


def write_readiness_csv(rows: Iterable[ReadinessRow], path: Path | str) -> None:
    """Write the rows (no total row) with the header :data:`READINESS_COLUMNS`."""
    with Path(path).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(READINESS_COLUMNS)
        for row in rows:
            writer.writerow((row.local, *_counts(row)))


def readiness_table(rows: Sequence[ReadinessRow], *, title: str | None = "Roll readiness by local") -> Table:
    """A Rich table of the rows with a bold total row."""
    from rich.table import Table

    table = Table(title=title)
    table.add_column("Local", style="bold")
    for heading in _HEADINGS:
        table.add_column(heading, justify="right")
    for index, row in enumerate(rows):
        table.add_row(*_cells(row), end_section=index == len(rows) - 1)
    table.add_row(*_cells(readiness_total(rows)), style="bold")
    return table


def _cells(row: ReadinessRow) -> list[str]:
    members, eligible, excluded, no_email, in_arrears, not_in_good_standing = _counts(row)
    share = f"{row.eligible_share:.1%}" if members else "–"
    return [
        row.local,
        f"{members:,}",
        f"{eligible:,}",
        share,
        f"{excluded:,}",
        f"{no_email:,}",
        f"{in_arrears:,}",
        f"{not_in_good_standing:,}",
    ]


# -- chase list ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChaseItem:
    """A member who would become eligible by doing ``actions`` (in :class:`ExclusionReason` order).

    ``paid_through_minimum`` is the date dues must be paid through when dues are an action, else ``None``.
    """

    member: Member
    reasons: tuple[ExclusionReason, ...]
    actions: tuple[str, ...]
    paid_through_minimum: date | None


CHASE_COLUMNS: Final = (
    "local",
    "member_id",
    "name",
    "email",
    "dues_paid_through",
    "pay_dues_through",
    "actions",
)


def chase_list(snapshot: Snapshot) -> list[ChaseItem]:
    """Excluded members whose every reason is fixable by them (missing email, arrears), by local then name.

    Members not in good standing are left out: registering an email or paying would not make them eligible.
    """
    minimum = snapshot.policy.paid_through_minimum
    items = [
        ChaseItem(
            member=e.member,
            reasons=e.reasons,
            actions=tuple(_ACTIONS[r] for r in e.reasons),
            paid_through_minimum=minimum if ExclusionReason.DUES_ARREARS in e.reasons else None,
        )
        for e in snapshot.excluded
        if ExclusionReason.NOT_IN_GOOD_STANDING not in e.reasons
    ]
    items.sort(key=lambda i: (local_sort_key(i.member.local), i.member.name.casefold(), i.member.member_id))
    return items


def _spreadsheet_safe(value: str) -> str:
    """Quote text a spreadsheet would run as a formula (a member's name like ``=HYPERLINK(...)``)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def write_chase_csv(items: Iterable[ChaseItem], path: Path | str) -> None:
    """Write the chase list for the locals' officers, one member per row (actions joined by ``"; "``).

    The file is meant to be opened in a spreadsheet, so text that would start a formula gets a leading ``'``.
    """
    with Path(path).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CHASE_COLUMNS)
        for item in items:
            m = item.member
            writer.writerow(
                (
                    _spreadsheet_safe(m.local),
                    _spreadsheet_safe(m.member_id),
                    _spreadsheet_safe(m.name),
                    m.email or "",
                    "" if m.dues_paid_through is None else m.dues_paid_through.isoformat(),
                    "" if item.paid_through_minimum is None else item.paid_through_minimum.isoformat(),
                    "; ".join(item.actions),
                )
            )
