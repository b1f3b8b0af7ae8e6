"""Write a roll back out as CSV or XLSX, in exactly the format :func:`~strikevote.roll.load_roll` reads."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import datetime, time
from pathlib import Path

from strikevote.roll.importer import COLUMNS
from strikevote.roll.model import Member


def _row(member: Member) -> tuple[str, str, str, str, str, str, str]:
    paid = member.dues_paid_through
    return (
        member.member_id,
        member.name,
        member.email or "",
        member.local,
        member.status,
        "" if paid is None else paid.isoformat(),
        "yes" if member.dues_checkoff else "no",
    )


def write_roll_csv(members: Iterable[Member], path: Path | str) -> None:
    """UTF-8 CSV (no BOM), comma-separated, header :data:`~strikevote.roll.importer.COLUMNS` (and
    ``language`` when a member's letters are not in English)."""
    rows = list(members)
    with_language = any(m.language != "en" for m in rows)
    with Path(path).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow((*COLUMNS, "language") if with_language else COLUMNS)
        writer.writerows((*_row(m), m.language) if with_language else _row(m) for m in rows)


def write_roll_xlsx(members: Iterable[Member], path: Path | str) -> None:
    """One-sheet workbook; ``dues_paid_through`` as real date cells, ids and locals as text cells."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("roll")
    sheet.append(list(COLUMNS))
    for member in members:
        values = list(_row(member))
        paid = WriteOnlyCell(sheet)
        if member.dues_paid_through is not None:
            paid.value = datetime.combine(member.dues_paid_through, time())
            paid.number_format = "yyyy-mm-dd"
        sheet.append([*values[:5], paid, values[6]])
    workbook.save(Path(path))
