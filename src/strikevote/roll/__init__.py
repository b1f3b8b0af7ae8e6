"""Member roll import, eligibility and readiness reports (pure: files in, dataclasses out).

Typical use::

    roll = load_roll(Path("roll.xlsx"), locals_={"44", "80", "600"})      # RollError lists every bad row
    policy = EligibilityPolicy(cutoff=date(2021, 9, 30), grace_days=30)
    snapshot = freeze_snapshot(roll, policy, taken_at=datetime.now(UTC))  # reference snapshot.digest()
    console.print(readiness_table(readiness_rows(snapshot)))
"""

from strikevote.roll.eligibility import EligibilityPolicy, Exclusion, ExclusionReason
from strikevote.roll.errors import RollError, RowError, SnapshotError
from strikevote.roll.generate import generate_roll
from strikevote.roll.importer import COLUMNS, load_roll
from strikevote.roll.model import GOOD_STANDING_STATUSES, KNOWN_STATUSES, Member, Roll
from strikevote.roll.readiness import (
    ACTION_PAY_DUES,
    ACTION_REGISTER_EMAIL,
    ChaseItem,
    ReadinessRow,
    chase_list,
    readiness_rows,
    readiness_table,
    readiness_total,
    write_chase_csv,
    write_readiness_csv,
)
from strikevote.roll.snapshot import SNAPSHOT_FORMAT, Snapshot, freeze_snapshot
from strikevote.roll.writer import write_roll_csv, write_roll_xlsx

__all__ = [
    "ACTION_PAY_DUES",
    "ACTION_REGISTER_EMAIL",
    "COLUMNS",
    "GOOD_STANDING_STATUSES",
    "KNOWN_STATUSES",
    "SNAPSHOT_FORMAT",
    "ChaseItem",
    "EligibilityPolicy",
    "Exclusion",
    "ExclusionReason",
    "Member",
    "ReadinessRow",
    "Roll",
    "RollError",
    "RowError",
    "Snapshot",
    "SnapshotError",
    "chase_list",
    "freeze_snapshot",
    "generate_roll",
    "load_roll",
    "readiness_rows",
    "readiness_table",
    "readiness_total",
    "write_chase_csv",
    "write_readiness_csv",
    "write_roll_csv",
    "write_roll_xlsx",
]
