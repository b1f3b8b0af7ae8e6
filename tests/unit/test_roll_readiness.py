"""Per-local readiness counts, the chase list and their CSV/Rich outputs."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path

from rich.console import Console

from strikevote.roll import (
    ACTION_PAY_DUES,
    ACTION_REGISTER_EMAIL,
    EligibilityPolicy,
    ExclusionReason,
    Member,
    ReadinessRow,
    Snapshot,
    chase_list,
    freeze_snapshot,
    readiness_rows,
    readiness_table,
    readiness_total,
    write_chase_csv,
    write_readiness_csv,
)
from strikevote.roll.readiness import local_sort_key

CUTOFF = date(2021, 9, 30)
OLD = date(2021, 6, 30)


def m(member_id: str, local: str, *, email: bool = True, paid: date | None = CUTOFF, status: str = "active",
      checkoff: bool = False, name: str | None = None) -> Member:  # fmt: skip
    return Member(
        member_id,
        name or f"Member {member_id}",
        f"{member_id.lower()}@example.org" if email else None,
        local,
        status,
        paid,
        checkoff,
    )


def snapshot() -> Snapshot:
    members = [
        m("600-1", "600"),
        m("600-2", "600", email=False),
        m("600-3", "600", paid=OLD),
        m("600-4", "600", paid=OLD, email=False, name="Aaron Able"),  # two fixable reasons
        m("600-5", "600", paid=OLD, checkoff=True),  # check-off: eligible
        m("80-1", "80", status="suspended", email=False, paid=None),  # not chased
        m("80-2", "80"),
        m("44-1", "44", paid=None),
    ]
    return freeze_snapshot(
        members, EligibilityPolicy(cutoff=CUTOFF, grace_days=10), datetime(2021, 9, 1, tzinfo=UTC)
    )


def test_readiness_rows_count_per_local_sorted_naturally() -> None:
    rows = readiness_rows(snapshot())
    assert rows == [
        ReadinessRow(
            "44", members=1, eligible=0, excluded=1, no_email=0, in_arrears=1, not_in_good_standing=0
        ),
        ReadinessRow(
            "80", members=2, eligible=1, excluded=1, no_email=1, in_arrears=1, not_in_good_standing=1
        ),
        ReadinessRow(
            "600", members=5, eligible=2, excluded=3, no_email=2, in_arrears=2, not_in_good_standing=0
        ),
    ]
    assert rows[2].eligible_share == 0.4


def test_readiness_rows_include_requested_empty_locals() -> None:
    rows = readiness_rows(snapshot(), locals_=["700", "44"])
    assert [r.local for r in rows] == ["44", "80", "600", "700"]
    assert rows[-1] == ReadinessRow("700", 0, 0, 0, 0, 0, 0)
    assert rows[-1].eligible_share == 0.0


def test_readiness_total() -> None:
    total = readiness_total(readiness_rows(snapshot()))
    assert total == ReadinessRow("TOTAL", 8, 3, 5, 3, 4, 1)


def test_local_sort_key_is_natural_and_total() -> None:
    locals_ = ["600", "80", "B2", "44", "a10", "A", "a9", "10b", "", "X1Y"]
    assert sorted(locals_, key=local_sort_key) == [
        "",
        "10b",
        "44",
        "80",
        "600",
        "A",
        "a9",
        "a10",
        "B2",
        "X1Y",
    ]


def test_write_readiness_csv(tmp_path: Path) -> None:
    path = tmp_path / "readiness.csv"
    write_readiness_csv(readiness_rows(snapshot()), path)
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows == [
        ["local", "members", "eligible", "excluded", "no_email", "in_arrears", "not_in_good_standing"],
        ["44", "1", "0", "1", "0", "1", "0"],
        ["80", "2", "1", "1", "1", "1", "1"],
        ["600", "5", "2", "3", "2", "2", "0"],
    ]


def test_readiness_table_has_a_totals_row() -> None:
    table = readiness_table(readiness_rows(snapshot()))
    assert table.row_count == 4
    out = io.StringIO()
    Console(file=out, width=160, color_system=None).print(table)
    text = out.getvalue()
    last_row = [line for line in text.splitlines() if "TOTAL" in line]
    assert len(last_row) == 1
    assert "37.5%" in last_row[0]
    assert [cell.strip() for cell in last_row[0].strip("│ ").split("│")] == [
        "TOTAL",
        "8",
        "3",
        "37.5%",
        "5",
        "3",
        "4",
        "1",
    ]


def test_chase_list_names_what_to_fix() -> None:
    items = chase_list(snapshot())
    got = [(i.member.member_id, i.actions, i.paid_through_minimum) for i in items]
    assert got == [
        ("44-1", (ACTION_PAY_DUES,), date(2021, 9, 20)),
        ("600-4", (ACTION_PAY_DUES, ACTION_REGISTER_EMAIL), date(2021, 9, 20)),  # "Aaron Able" sorts first
        ("600-2", (ACTION_REGISTER_EMAIL,), None),
        ("600-3", (ACTION_PAY_DUES,), date(2021, 9, 20)),
    ]
    assert items[1].reasons == (ExclusionReason.DUES_ARREARS, ExclusionReason.NO_EMAIL)
    assert ACTION_REGISTER_EMAIL == "register your email"
    assert ACTION_PAY_DUES == "get current on dues"


def test_write_chase_csv(tmp_path: Path) -> None:
    path = tmp_path / "chase.csv"
    write_chase_csv(chase_list(snapshot()), path)
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[1] == {
        "local": "600",
        "member_id": "600-4",
        "name": "Aaron Able",
        "email": "",
        "dues_paid_through": "2021-06-30",
        "pay_dues_through": "2021-09-20",
        "actions": "get current on dues; register your email",
    }
    assert rows[0]["dues_paid_through"] == ""
    assert len(rows) == 4


def test_chase_csv_defuses_spreadsheet_formulas(tmp_path: Path) -> None:
    members = [
        m("1", "600", email=False, name='=HYPERLINK("http://evil.example","x")'),
        m("2", "600", paid=None),
    ]
    snap = freeze_snapshot(members, EligibilityPolicy(cutoff=CUTOFF), datetime(2021, 9, 1, tzinfo=UTC))
    path = tmp_path / "chase.csv"
    write_chase_csv(chase_list(snap), path)
    with path.open(newline="", encoding="utf-8") as handle:
        names = [row["name"] for row in csv.DictReader(handle)]
    assert names == ['\'=HYPERLINK("http://evil.example","x")', "Member 2"]
