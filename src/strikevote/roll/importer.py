"""Import a member roll from CSV or XLSX: every bad row is reported, nothing is returned unless all are good.

File format (one header row, then one member per row; blank rows are skipped):

================= =========================================================================================
column            content
================= =========================================================================================
member_id         required, unique (compared case-insensitively); at most 64 characters: ASCII letters,
                  digits, ``.``, ``_`` and ``-``, starting with a letter or digit (``600-001234``)
name              required
email             optional (empty = no registered email); must look like ``user@example.org``
local             required; when ``locals_`` is given it must be one of them
status            required; one of :data:`~strikevote.roll.model.KNOWN_STATUSES`, case-insensitive,
                  spaces/underscores allowed (``Good Standing``)
dues_paid_through optional ISO date ``YYYY-MM-DD`` (XLSX: a date cell also works); empty = none on record
dues_checkoff     ``yes/no/true/false/y/n/1/0``, case-insensitive; empty = no (XLSX: TRUE/FALSE cells too)
language          optional column: the language of the member's letters, ``en`` or ``es`` (also ``English``,
                  ``Spanish``, ``español``); empty = ``en``
================= =========================================================================================

Header names are case-insensitive and may use spaces, underscores or hyphens (``Member ID``,
``dues-checkoff``). All seven columns but ``language`` are required, including ``dues_checkoff``: a roll without it would
silently exclude check-off members for their employer's late payment. Other columns (a membership system's
export has many) are ignored with a warning naming them, and a required column that is missing is an error
that names the ignored ones, so a renamed column is not mistaken for an extra one. An email address shared by
several members is a warning (a household's address, or a typing slip), not an error. CSV files must be UTF-8 (a BOM is fine)
and may use ``,``, ``;`` or tab as the delimiter (taken from the header line). XLSX: the first worksheet is
read; formulas give their cached values.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from strikevote.roll.cells import PARSERS, CellError
from strikevote.roll.errors import RollError, RowError
from strikevote.roll.model import (
    Member,
    Roll,
)

#: The roll's columns, in the order :func:`~strikevote.roll.writer.write_roll_csv` writes them.
COLUMNS: Final[tuple[str, ...]] = (
    "member_id",
    "name",
    "email",
    "local",
    "status",
    "dues_paid_through",
    "dues_checkoff",
)

#: Columns a roll may leave out.
OPTIONAL_COLUMNS: Final[tuple[str, ...]] = ("language",)

_COLUMN_BY_KEY: Final = {c.replace("_", ""): c for c in (*COLUMNS, *OPTIONAL_COLUMNS)}
_HEADER_SEPARATORS = re.compile(r"[\s_\-]+")

RollRow = tuple[int, list[object]]  # (1-based physical line or row, cell values)


class _ReadError(Exception):
    """The file cannot be read any further at ``line``."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass
class _Header:
    line: int
    width: int
    position: dict[str, int] = field(default_factory=dict)  # column -> cell index
    nameless: list[int] = field(default_factory=list)  # cell indexes with an empty header
    ignored: list[str] = field(default_factory=list)  # names of the columns that are not roll columns
    warnings: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return all(c in self.position for c in COLUMNS)


def load_roll(path: Path | str, locals_: Collection[str] | None = None) -> Roll:
    """Read and validate the roll in ``path`` (``.csv`` or ``.xlsx``).

    :param locals_: known local ids; a member of any other local is a row error. ``None`` accepts any local.
    :raises RollError: listing every problem (file-level or per row) when anything is wrong.
    """
    path = Path(path)
    file = str(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _parse(_csv_rows(path, file), file, "line", str, locals_)
    if suffix == ".xlsx":
        from openpyxl.utils import get_column_letter

        return _parse(_xlsx_rows(path, file), file, "row", get_column_letter, locals_)
    raise RollError.for_file(
        file, f"unsupported file type {path.suffix or '(none)'!r}: save the roll as .csv or .xlsx"
    )


# -- readers ---------------------------------------------------------------------------------------------


def _csv_rows(path: Path, file: str) -> Iterator[RollRow]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RollError.for_file(file, f"cannot read the file: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RollError.for_file(
            file, f"not UTF-8 text (bad byte at offset {exc.start}); save the roll as 'CSV UTF-8'"
        ) from exc
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_sniff_delimiter(text), strict=True)
    previous = 0
    while True:
        start = previous + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _ReadError(start, f"malformed CSV: {exc}") from exc
        previous = reader.line_num
        yield start, list(cells)


def _sniff_delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _xlsx_rows(path: Path, file: str) -> Iterator[RollRow]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many exception types on a damaged or foreign file
        raise RollError.for_file(file, f"not a readable .xlsx workbook: {exc}") from exc
    try:
        if not workbook.worksheets:
            raise RollError.for_file(file, "the workbook has no worksheet")
        sheet = workbook.worksheets[0]
        # A stale <dimension> element would make openpyxl stop early and silently drop rows.
        reset = getattr(sheet, "reset_dimensions", None)
        if reset is not None:
            reset()
        for row_number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield row_number, list(values)
    finally:
        workbook.close()


# -- parsing ---------------------------------------------------------------------------------------------


def _parse(
    rows: Iterator[RollRow],
    file: str,
    unit: str,
    column_label: Callable[[int], str],
    locals_: Collection[str] | None,
) -> Roll:
    known_locals = None if locals_ is None else frozenset(locals_)
    errors: list[RowError] = []
    members: list[Member] = []
    lines: list[int] = []  # where each member is
    seen: dict[str, int] = {}  # casefolded member id -> line of first occurrence
    header: _Header | None = None
    data_rows = 0
    try:
        for line, cells in rows:
            if _is_blank(cells):
                continue
            if header is None:
                header = _parse_header(cells, line, file, errors)
                continue
            data_rows += 1
            member = _parse_row(cells, line, header, file, unit, column_label, known_locals, seen, errors)
            if member is not None:
                members.append(member)
                lines.append(line)
    except _ReadError as exc:
        errors.append(RowError(file, exc.line, None, exc.message))
    if header is None and not errors:
        raise RollError.for_file(file, "the file is empty: expected a header row naming the columns")
    if header is not None and data_rows == 0 and not errors:
        errors.append(RowError(file, None, None, "no member rows after the header"))
    if errors:
        raise RollError(errors)
    warnings = [f"{file}:{header.line}: {w}" for w in header.warnings] if header is not None else []
    warnings += _shared_emails(members, lines, file, unit)
    return Roll(tuple(members), source=file, warnings=tuple(warnings))


def _shared_emails(members: list[Member], lines: list[int], file: str, unit: str) -> list[str]:
    """One warning per email address that more than one member has (compared case-insensitively)."""
    by_email: dict[str, list[int]] = {}
    for member, line in zip(members, lines, strict=True):
        if member.email:
            by_email.setdefault(member.email.casefold(), []).append(line)
    return [
        f"{file}: {email} is the email of {len(at)} members ({unit}s {', '.join(map(str, at))}): each gets "
        "their own letter there"
        for email, at in by_email.items()
        if len(at) > 1
    ]


def _is_blank(cells: list[object]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _parse_header(cells: list[object], line: int, file: str, errors: list[RowError]) -> _Header:
    header = _Header(line=line, width=len(cells))
    for index, cell in enumerate(cells):
        raw = "" if cell is None else str(cell).strip()
        if not raw:
            header.nameless.append(index)
            continue
        column = _COLUMN_BY_KEY.get(_HEADER_SEPARATORS.sub("", raw.lower()))
        if column is None:
            header.ignored.append(raw)
        elif column in header.position:
            first = header.position[column] + 1
            errors.append(
                RowError(
                    file, line, None, f"column {column!r} appears twice (columns {first} and {index + 1})"
                )
            )
        else:
            header.position[column] = index
    ignored = ", ".join(repr(x) for x in header.ignored)
    for column in COLUMNS:
        if column not in header.position:
            also = f" (ignored columns: {ignored})" if ignored else ""
            errors.append(RowError(file, line, None, f"missing required column {column!r}{also}"))
    if header.ignored:
        header.warnings.append(
            f"column{'s' if len(header.ignored) > 1 else ''} {ignored} ignored (not roll columns: "
            f"{', '.join(COLUMNS)})"
        )
    return header


def _parse_row(
    cells: list[object],
    line: int,
    header: _Header,
    file: str,
    unit: str,
    column_label: Callable[[int], str],
    known_locals: frozenset[str] | None,
    seen: dict[str, int],
    errors: list[RowError],
) -> Member | None:
    if unit == "line" and len(cells) != header.width:
        hint = " (a comma inside an unquoted value?)" if len(cells) > header.width else ""
        errors.append(
            RowError(file, line, None, f"has {len(cells)} fields but the header has {header.width}{hint}")
        )
        return None
    count_before = len(errors)
    stray = [i for i in header.nameless if i < len(cells)] + list(range(header.width, len(cells)))
    for index in stray:
        value = cells[index]
        if not _is_blank([value]):
            errors.append(
                RowError(
                    file,
                    line,
                    f"column {column_label(index + 1)}",
                    f"value {value!r} in a column with no header",
                )
            )

    values: dict[str, object] = {}
    for column, index in header.position.items():
        raw = cells[index] if index < len(cells) else None
        try:
            values[column] = PARSERS[column](raw, known_locals)
        except CellError as exc:
            errors.append(RowError(file, line, column, str(exc)))

    member_id = values.get("member_id")
    if isinstance(member_id, str):
        key = member_id.casefold()
        if key in seen:
            errors.append(
                RowError(
                    file,
                    line,
                    "member_id",
                    f"duplicate member id {member_id!r} (first on {unit} {seen[key]})",
                )
            )
        else:
            seen[key] = line

    if len(errors) > count_before or not header.complete:
        return None
    try:
        return Member(**values)  # type: ignore[arg-type]  # each parser returns its field's type
    except ValueError as exc:  # pragma: no cover - the parsers check everything Member checks
        errors.append(RowError(file, line, None, str(exc)))
        return None
