"""Roll import: CSV and XLSX, every kind of bad row reported with file and line, all-or-nothing."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from pathlib import Path

import pytest
from openpyxl import Workbook

from strikevote.roll import (
    COLUMNS,
    Member,
    Roll,
    RollError,
    RowError,
    load_roll,
    write_roll_csv,
    write_roll_xlsx,
)

HEADER = ",".join(COLUMNS)
GOOD = [
    "A-1,Maria Garcia,maria@example.org,600,good-standing,2021-09-30,no",
    "A-2,James Smith,,44,Active,2021-06-30,yes",
    "A-3,Aisha Okafor,aisha@example.org,44,Good Standing,,",
]


def write_csv(tmp_path: Path, *lines: str, name: str = "roll.csv", header: str = HEADER) -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def load_errors(path: Path, **kwargs: object) -> list[RowError]:
    with pytest.raises(RollError) as info:
        load_roll(path, **kwargs)  # type: ignore[arg-type]
    return list(info.value.errors)


# -- happy paths -------------------------------------------------------------------------------------------


def test_csv_import_parses_every_field(tmp_path: Path) -> None:
    roll = load_roll(write_csv(tmp_path, *GOOD))
    assert isinstance(roll, Roll)
    assert [m.member_id for m in roll] == ["A-1", "A-2", "A-3"]
    assert roll.members[0] == Member(
        "A-1", "Maria Garcia", "maria@example.org", "600", "good-standing", date(2021, 9, 30), False
    )
    assert roll.members[1].email is None
    assert roll.members[1].status == "active"
    assert roll.members[1].dues_checkoff is True
    assert roll.members[2].status == "good-standing"
    assert roll.members[2].dues_paid_through is None
    assert roll.members[2].dues_checkoff is False
    assert roll.locals == ("44", "600")
    assert roll.source == str(tmp_path / "roll.csv")
    assert "a-2" in roll and roll.get("a-2") == roll.members[1]


def test_header_names_tolerate_case_spaces_underscores_and_hyphens(tmp_path: Path) -> None:
    header = "Member ID,NAME,E-mail,Local,Status,Dues Paid Through,dues_check_off"
    roll = load_roll(write_csv(tmp_path, *GOOD, header=header))
    assert len(roll) == 3


def test_columns_may_come_in_any_order(tmp_path: Path) -> None:
    header = "status,local,name,member_id,email,dues_checkoff,dues_paid_through"
    roll = load_roll(
        write_csv(tmp_path, "retired,80,Wei Chen,X9,wei@example.org,1,2020-01-31", header=header)
    )
    assert roll.members[0] == Member(
        "X9", "Wei Chen", "wei@example.org", "80", "retired", date(2020, 1, 31), True
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("yes", True),
        ("Y", True),
        ("TRUE", True),
        ("1", True),
        ("no", False),
        ("False", False),
        ("0", False),
        ("", False),
    ],
)
def test_checkoff_values(tmp_path: Path, raw: str, expected: bool) -> None:
    roll = load_roll(write_csv(tmp_path, f"A-1,Maria Garcia,,600,active,2021-09-30,{raw}"))
    assert roll.members[0].dues_checkoff is expected


def test_csv_with_bom_semicolons_crlf_and_quoted_commas(tmp_path: Path) -> None:
    path = tmp_path / "roll.csv"
    text = ";".join(COLUMNS) + "\r\n" + 'A-1;"Garcia; Maria";;600;active;2021-09-30;no\r\n'
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    roll = load_roll(path)
    assert roll.members[0].name == "Garcia; Maria"


def test_blank_lines_are_skipped_but_counted(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "", GOOD[0], "", "", "A-2,James Smith,bob@,44,active,2021-06-30,yes")
    errors = load_errors(path)
    assert [(e.line, e.field) for e in errors] == [(6, "email")]


def test_xlsx_import_with_real_cells(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Member ID", "Name", "Email", "Local", "Status", "Dues paid through", "Dues checkoff"])
    sheet.append(
        [1001, "Maria Garcia", "maria@example.org", 600, "Good Standing", datetime(2021, 9, 30), False]
    )
    sheet.append([])
    sheet.append(["A-2", "James Smith", None, "44", "active", date(2021, 6, 30), True])
    sheet.append(["A-3", "Aisha Okafor", "aisha@example.org", 44.0, "active", "2021-07-31", "yes"])
    workbook.create_sheet("ignored").append(["not", "a", "roll"])
    path = tmp_path / "roll.xlsx"
    workbook.save(path)

    roll = load_roll(path)
    assert roll.members == (
        Member("1001", "Maria Garcia", "maria@example.org", "600", "good-standing", date(2021, 9, 30), False),
        Member("A-2", "James Smith", None, "44", "active", date(2021, 6, 30), True),
        Member("A-3", "Aisha Okafor", "aisha@example.org", "44", "active", date(2021, 7, 31), True),
    )


def test_xlsx_errors_name_the_sheet_row(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(COLUMNS))
    sheet.append(["A-1", "Maria Garcia", "maria@example.org", "600", "active", 44469, "no"])
    sheet.append([None] * 7)
    sheet.append(["A-2", "James Smith", None, "44", "active", None, "maybe", "stray"])
    path = tmp_path / "roll.xlsx"
    workbook.save(path)

    errors = load_errors(path)
    assert [(e.line, e.field) for e in errors] == [
        (2, "dues_paid_through"),
        (4, "column H"),
        (4, "dues_checkoff"),
    ]
    assert "is a number, not a date" in errors[0].message
    assert str(errors[1]) == f"{path}:4: column H: value 'stray' in a column with no header"


def test_roundtrip_through_writers(tmp_path: Path) -> None:
    members = [
        Member("600-1", 'Zoë "Z" O\'Brien, Jr.', "zoe@example.org", "600", "active", date(2021, 1, 31), True),
        Member("600-2", "Tomás López", None, "600", "suspended", None, False),
        Member("44-0001", "Wei Chen", "WEI@Example.ORG", "44", "good-standing", date(2022, 2, 28), False),
    ]
    write_roll_csv(members, tmp_path / "r.csv")
    write_roll_xlsx(members, tmp_path / "r.xlsx")
    assert list(load_roll(tmp_path / "r.csv").members) == members
    assert list(load_roll(tmp_path / "r.xlsx").members) == members


# -- bad rows ----------------------------------------------------------------------------------------------

BAD_ROWS = [
    pytest.param(",Maria Garcia,,600,active,2021-09-30,no", "member_id", "is required", id="missing-id"),
    pytest.param("A-9,,,600,active,2021-09-30,no", "name", "is required", id="missing-name"),
    pytest.param("A-9,Maria,,,active,2021-09-30,no", "local", "is required", id="missing-local"),
    pytest.param("A-9,Maria,,600,,2021-09-30,no", "status", "is required", id="missing-status"),
    pytest.param(
        "A-9,Maria,bob@,600,active,2021-09-30,no",
        "email",
        "'bob@' is not a valid email address",
        id="email-no-domain",
    ),
    pytest.param(
        "A-9,Maria,a b@x.org,600,active,,no", "email", "is not a valid email address", id="email-space"
    ),
    pytest.param(
        "A-9,Maria,a@@x.org,600,active,,no", "email", "is not a valid email address", id="email-two-at"
    ),
    pytest.param(
        "A-9,Maria,a@localhost,600,active,,no", "email", "is not a valid email address", id="email-no-dot"
    ),
    pytest.param("A-9,Maria,,600,on strike,,no", "status", "unknown status 'on-strike'", id="unknown-status"),
    pytest.param(
        "A-9,Maria,,600,active,31/12/2021,no", "dues_paid_through", "not a date in YYYY-MM-DD", id="date-fmt"
    ),
    pytest.param(
        "A-9,Maria,,600,active,2021-02-30,no", "dues_paid_through", "not a valid calendar", id="date-day"
    ),
    pytest.param("A-9,Maria,,600,active,20210228,no", "dues_paid_through", "YYYY-MM-DD", id="date-compact"),
    pytest.param("A-9,Maria,,600,active,,maybe", "dues_checkoff", "'maybe' is not yes or no", id="checkoff"),
    pytest.param(
        'A-9,"Maria\nGarcia",,600,active,,no', "name", "control character or line break", id="newline"
    ),
    pytest.param("A-9,Maria \u202eaicraG,,600,active,,no", "name", "control character", id="bidi-override"),
    # Member ids end up in file names (credential letters): path separators, dot-files and odd characters are
    # refused at import, each as one error naming the field.
    pytest.param(
        "../../PWNED,Maria,,600,active,,no", "member_id", "must start with a letter or digit", id="id-dotdot"
    ),
    pytest.param("A/9,Maria,,600,active,,no", "member_id", "contains '/'", id="id-slash"),
    pytest.param("A\\9,Maria,,600,active,,no", "member_id", "contains '\\\\'", id="id-backslash"),
    pytest.param(
        ".A-9,Maria,,600,active,,no", "member_id", "must start with a letter or digit", id="id-dotfile"
    ),
    pytest.param("-A9,Maria,,600,active,,no", "member_id", "must start with a letter or digit", id="id-dash"),
    pytest.param("A 9,Maria,,600,active,,no", "member_id", "contains ' '", id="id-space"),
    pytest.param("A-9é,Maria,,600,active,,no", "member_id", "contains 'é'", id="id-accent"),
    pytest.param(
        "=A1+1,Maria,,600,active,,no", "member_id", "must start with a letter or digit", id="id-formula"
    ),
    pytest.param("A" * 65 + ",Maria,,600,active,,no", "member_id", "longer than 64 characters", id="id-long"),
]


@pytest.mark.parametrize(("row", "field", "message"), BAD_ROWS)
def test_each_bad_row_is_reported_with_file_line_and_field(
    tmp_path: Path, row: str, field: str, message: str
) -> None:
    path = write_csv(tmp_path, GOOD[0], row)
    errors = load_errors(path)
    assert len(errors) == 1
    error = errors[0]
    assert (error.file, error.line, error.field) == (str(path), 3, field)
    assert message in error.message
    assert str(error).startswith(f"{path}:3: {field}: ")


def test_message_format_matches_the_documented_example(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [f"M{i},Member {i},m{i}@example.org,600,active,2021-09-30,no" for i in range(2, 17)]
    write_csv(tmp_path, *rows, "M17,Bob,bob@,600,active,2021-09-30,no")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(RollError) as info:
        load_roll(Path("roll.csv"))
    assert str(info.value) == "roll.csv:17: email: 'bob@' is not a valid email address"


def test_valid_member_id_characters_are_accepted(tmp_path: Path) -> None:
    ids = ["600-001234", "a.b_c-D", "9", "X" * 64]
    path = write_csv(tmp_path, *(f"{i},Member,,600,active,,no" for i in ids))
    assert [m.member_id for m in load_roll(path)] == ids


def test_every_bad_member_id_is_one_error_with_its_line_and_nothing_is_imported(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        GOOD[0],
        "../../PWNED,Mallory,,44,active,,no",
        GOOD[1],
        "44/../x,Eve,,44,active,,no",
        "..,Trent,,44,active,,no",
    )
    errors = load_errors(path)
    assert [(e.file, e.line, e.field) for e in errors] == [
        (str(path), 3, "member_id"),
        (str(path), 5, "member_id"),
        (str(path), 6, "member_id"),
    ]
    assert str(errors[0]) == f"{path}:3: member_id: '../../PWNED' must start with a letter or digit"
    assert str(errors[1]) == (
        f"{path}:5: member_id: '44/../x' contains '/': a member id may use only letters A-Z, digits, "
        "'.', '_' and '-'"
    )


def test_member_refuses_an_unsafe_id_outside_the_importer() -> None:
    with pytest.raises(ValueError, match=re.escape("member_id: '../x' must start with a letter or digit")):
        Member("../x", "Maria", None, "600", "active", None, False)


def test_unknown_local_is_a_row_error(tmp_path: Path) -> None:
    path = write_csv(tmp_path, *GOOD)
    assert len(load_roll(path, locals_={"44", "600"})) == 3
    errors = load_errors(path, locals_={"600", "700"})
    assert [(e.line, e.field) for e in errors] == [(3, "local"), (4, "local")]
    assert "unknown local '44' (known locals: 600, 700)" in errors[0].message


def test_duplicate_member_id_names_the_first_line(tmp_path: Path) -> None:
    path = write_csv(tmp_path, *GOOD, "a-1,Someone Else,,600,active,2021-09-30,no")
    errors = load_errors(path)
    assert [str(e) for e in errors] == [f"{path}:5: member_id: duplicate member id 'a-1' (first on line 2)"]


def test_wrong_field_count_is_reported(tmp_path: Path) -> None:
    path = write_csv(tmp_path, "A-9,Garcia, Maria,,600,active,2021-09-30,no", "A-8,Maria,,600,active")
    errors = load_errors(path)
    assert [(e.line, e.field) for e in errors] == [(2, None), (3, None)]
    assert "has 8 fields but the header has 7 (a comma inside an unquoted value?)" in errors[0].message
    assert "has 5 fields" in errors[1].message


def test_all_errors_are_collected_and_nothing_is_returned(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        GOOD[0],
        "A-5,,bob@,600,nope,2021-13-01,perhaps",
        GOOD[1],
        "A-1,Dup,,600,active,,no",
        GOOD[2],
    )
    with pytest.raises(RollError) as info:
        load_roll(path)
    errors = info.value.errors
    assert [(e.line, e.field) for e in errors] == [
        (3, "name"),
        (3, "email"),
        (3, "status"),
        (3, "dues_paid_through"),
        (3, "dues_checkoff"),
        (5, "member_id"),
    ]
    lines = str(info.value).splitlines()
    assert len(lines) == 6
    assert all(line.startswith(f"{path}:") for line in lines)


def test_quoted_multiline_record_keeps_physical_line_numbers(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        'A-1,"Maria\nGarcia",,600,active,,no',  # lines 2-3
        "A-2,James,bob@,600,active,,no",  # line 4
    )
    errors = load_errors(path)
    assert [(e.line, e.field) for e in errors] == [(2, "name"), (4, "email")]


# -- file-level errors -------------------------------------------------------------------------------------


def test_duplicate_and_missing_columns_name_the_ignored_ones(tmp_path: Path) -> None:
    header = "member_id,name,email,phone,local,Local,status,dues_paid_through"
    path = write_csv(tmp_path, "A-1,Maria,,555,600,600,active,", header=header)
    errors = load_errors(path)
    messages = [(e.line, e.field, e.message) for e in errors]
    assert messages[0] == (1, None, "column 'local' appears twice (columns 5 and 6)")
    assert messages[1] == (1, None, "missing required column 'dues_checkoff' (ignored columns: 'phone')")
    assert len(errors) == 2


def test_extra_columns_of_a_membership_export_are_ignored_with_a_warning(tmp_path: Path) -> None:
    header = "Member ID,Name,Email,Phone,Local,Status,Dues Paid Through,Dues Checkoff,Hire Date"
    path = write_csv(
        tmp_path,
        "A-1,Maria,maria@example.org,555-0100,600,active,2099-01-01,no,2001-05-01",
        "A-2,James,james@example.org,,600,active,2099-01-01,yes,",
        header=header,
    )
    roll = load_roll(path)
    assert [m.member_id for m in roll] == ["A-1", "A-2"] and roll.get("A-1").email == "maria@example.org"
    assert roll.warnings == (
        f"{path}:1: columns 'Phone', 'Hire Date' ignored (not roll columns: member_id, "
        "name, email, local, status, dues_paid_through, dues_checkoff)",
    )


def test_an_email_shared_by_members_is_a_warning(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "A-1,Maria,home@example.org,600,active,,no",
        "A-2,James,other@example.org,600,active,,no",
        "A-3,Ana,HOME@example.org,700,active,,no",
    )
    roll = load_roll(path)
    assert len(roll) == 3
    assert roll.warnings == (
        f"{path}: home@example.org is the email of 2 members (lines 2, 4): each gets their own letter there",
    )
    assert (
        load_roll(write_csv(tmp_path, "A-1,Maria,a@example.org,600,active,,no", name="ok.csv")).warnings == ()
    )


def test_missing_columns_still_report_row_errors_in_the_others(tmp_path: Path) -> None:
    header = "member_id,name,email,local,status,dues_paid_through"
    path = write_csv(tmp_path, "A-1,Maria,bob@,600,active,", header=header)
    errors = load_errors(path)
    assert [(e.line, e.field) for e in errors] == [(1, None), (2, "email")]


@pytest.mark.parametrize("content", [b"", b"\n\n  \n", b"\xef\xbb\xbf"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "roll.csv"
    path.write_bytes(content)
    errors = load_errors(path)
    assert [str(e) for e in errors] == [
        f"{path}: the file is empty: expected a header row naming the columns"
    ]


def test_header_without_members(tmp_path: Path) -> None:
    errors = load_errors(write_csv(tmp_path))
    assert [(e.line, e.message) for e in errors] == [(None, "no member rows after the header")]


def test_wrong_extension_missing_file_bad_encoding_bad_workbook_bad_quoting(tmp_path: Path) -> None:
    (tmp_path / "roll.xls").write_bytes(b"whatever")
    assert "unsupported file type '.xls'" in load_errors(tmp_path / "roll.xls")[0].message
    assert "cannot read the file" in load_errors(tmp_path / "absent.csv")[0].message
    (tmp_path / "latin1.csv").write_bytes((HEADER + "\nA-1,Jos\xe9,,600,active,,no\n").encode("latin-1"))
    assert "not UTF-8 text" in load_errors(tmp_path / "latin1.csv")[0].message
    (tmp_path / "fake.xlsx").write_text("not a zip")
    assert "not a readable .xlsx workbook" in load_errors(tmp_path / "fake.xlsx")[0].message
    path = write_csv(tmp_path, GOOD[0], 'A-2,"James" Smith,,600,active,,no', name="quotes.csv")
    errors = load_errors(path)
    assert (errors[0].line, errors[0].field) == (3, None)
    assert errors[0].message.startswith("malformed CSV")


def test_roll_error_requires_errors() -> None:
    with pytest.raises(ValueError):
        RollError([])


def test_xlsx_cells_of_the_wrong_kind(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(COLUMNS))
    sheet.append([True, "Maria", None, datetime(2021, 1, 1), "active", True, 2])
    sheet.append(["A-2", 12.5, None, "600", "active", time(9, 30), 1])
    path = tmp_path / "kinds.xlsx"
    workbook.save(path)
    errors = load_errors(path)
    assert [(e.line, e.field, e.message) for e in errors] == [
        (2, "member_id", "expected text, found the logical value True"),
        (2, "local", "expected text, found the date 2021-01-01"),
        (2, "dues_paid_through", "expected a date, found the logical value True"),
        (2, "dues_checkoff", "2 is not yes or no (use yes, no, true, false, 1 or 0)"),
        (3, "dues_paid_through", "expected a date, found datetime.time(9, 30)"),
    ]


def test_the_readme_roll_example_imports(tmp_path: Path) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```csv\n(.*?)```", readme, re.S)
    assert example is not None
    path = tmp_path / "roll.csv"
    path.write_text(example.group(1), encoding="utf-8")
    roll = load_roll(path, {"600", "44"})
    assert len(roll) == 3 and roll.warnings == ()
    assert example.group(1).splitlines()[0] == ",".join(COLUMNS)
