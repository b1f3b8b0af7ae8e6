"""What a new user ran into on the command line: ids and fingerprints printed whole, one line for a database
URL strikevote does not run on, exit 2 for a garbage key file, the trustees still missing named, and the roll's
extra columns and shared emails as warnings."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner, Result
from vote_kit import PASSPHRASE, definition_dict, open_vote, toml_text, write_roll

from strikevote.cli.main import app
from strikevote.cli.tables import print_table
from strikevote.crypto.randomness import SystemRandomness
from strikevote.db.engine import open_db
from strikevote.roll import COLUMNS
from strikevote.services import tally, trustees

runner = CliRunner()
LONG_ID = "international-alliance-of-theatrical-stage-employees-2021-strike"  # 64, the most


def sv(*args: object, code: int = 0) -> Result:
    result = runner.invoke(app, [str(a) for a in args], terminal_width=80)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == code, f"{args} exited {result.exit_code}, not {code}:\n{result.output}"
    if code:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("strikevote "), result.stderr
    return result


def test_vote_list_prints_long_ids_whole_at_80_columns(tmp_path: Path) -> None:
    vote_file = tmp_path / "vote.toml"
    vote_file.write_text(toml_text(definition_dict(LONG_ID, rule="simple-majority")))
    roll = write_roll(tmp_path / "roll.csv", {"44": 2, "80": 2})
    db = f"sqlite:///{tmp_path / 'sv.db'}"
    sv("vote", "create", "--vote-file", vote_file, "--roll", roll, "--db", db)
    r = sv("vote", "list", "--db", db)
    assert any(LONG_ID in line for line in r.stdout.splitlines()), r.stdout
    assert "…" not in r.stdout


def test_fingerprints_and_uuids_never_wrap() -> None:
    buf = io.StringIO()
    console = Console(file=buf, width=60, soft_wrap=True)
    fingerprint, uuid = "kX3Hq2rJw0yq9mM1xF2b7T8c5zR4pQ6nL0aE3sV9dUo", "Zz3qm2bDXkQ9tW"
    print_table(
        console,
        ("Local", "Election uuid", "Fingerprint", "Eligible"),
        [("600", uuid, fingerprint, "1,234"), ("700-long-local-id", uuid, fingerprint, "56")],
        whole=("Local", "Election uuid", "Fingerprint"),
        right=("Eligible",),
    )
    lines = buf.getvalue().splitlines()
    assert sum(fingerprint in line for line in lines) == 2 and sum(uuid in line for line in lines) == 2
    assert any("700-long-local-id" in line for line in lines)


@pytest.mark.parametrize("url", ["mysql://user@host/db", "oracle://x", "strikevote.db"])
def test_an_unsupported_database_url_is_one_line(url: str) -> None:
    r = sv("vote", "list", "--db", url, code=2)
    assert "unsupported database URL" in r.stderr and "sqlite:///FILE" in r.stderr
    r = runner.invoke(app, ["vote", "status", "x"], env={"STRIKEVOTE_DB": url})
    assert r.exit_code == 2 and "unsupported database URL" in r.stderr
    assert sv("demo", "--db", url, code=2)


def test_garbage_key_file_is_bad_input_and_decrypt_names_the_missing_trustees(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'sv.db'}"
    db = open_db(db_url)
    kit = open_vote(db, tmp_path, sizes={"44": 2, "80": 2})
    garbage = tmp_path / "garbage.key"
    garbage.write_bytes(b"\x00\x01 not json")
    r = sv("trustee", "decrypt", kit.vote_id, "--key-file", garbage, "--db", db_url, code=2)
    assert "cannot read the trustee key file" in r.stderr
    garbage.write_text('{"vote": "another", "index": 1}')
    r = sv("trustee", "decrypt", kit.vote_id, "--key-file", garbage, "--db", db_url, code=2)
    assert "not a trustee key file" in r.stderr

    tally.close_and_tally(db, kit.vote_id)
    r = sv("result", "decrypt", kit.vote_id, "--db", db_url, code=1)
    assert "0 of the 2 trustee decryptions needed (none yet)" in r.stderr
    assert "still missing: any 2 of Trustee 1 (#1), Trustee 2 (#2), Trustee 3 (#3)" in r.stderr
    trustees.partial_decrypt(db, kit.vote_id, kit.keys[1], SystemRandomness(), passphrase=PASSPHRASE)
    r = sv("result", "decrypt", kit.vote_id, "--db", db_url, code=1)
    assert "1 of the 2 trustee decryptions needed (by Trustee 2 (#2))" in r.stderr
    assert "still missing: any 1 of Trustee 1 (#1), Trustee 3 (#3)" in r.stderr
    trustees.partial_decrypt(db, kit.vote_id, kit.keys[2], SystemRandomness(), passphrase=PASSPHRASE)
    sv("result", "decrypt", kit.vote_id, "--db", db_url)


def test_roll_check_warns_of_extra_columns_and_shared_emails(tmp_path: Path) -> None:
    vote_file = tmp_path / "vote.toml"
    vote_file.write_text(toml_text(definition_dict("roll-vote", rule="simple-majority")))
    roll = write_roll(tmp_path / "roll.csv", {"44": 3, "80": 2})
    lines = roll.read_text().splitlines()
    assert lines[0] == ",".join(COLUMNS)
    rows = [line.split(",") for line in lines[1:]]
    rows[1][2] = rows[0][2]  # two members, one email address
    export = ["Phone," + lines[0] + ",Hire Date", *("555-0100," + ",".join(r) + ",2001-05-01" for r in rows)]
    roll.write_text("\n".join(export) + "\n")
    r = sv("roll", "check", roll, "--vote-file", vote_file)
    assert "Roll OK: 5 eligible" in r.stdout
    out = " ".join(r.stdout.split())  # the console may wrap the warning
    assert "columns 'Phone', 'Hire Date' ignored" in out
    assert f"{rows[0][2].casefold()} is the email of 2 members (lines 2, 3)" in out
