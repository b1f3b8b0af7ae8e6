"""Issuing credentials (safe letter names, all or nothing) and closing the ballot box (the window's end).

Each test runs a small vote through the real services on a SQLite file: called, one trustee's key ceremony,
elections set up, so the vote waits in state ``credentials``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from strikevote.crypto.randomness import SystemRandomness
from strikevote.db import models
from strikevote.db.engine import open_db
from strikevote.roll import Member, Roll
from strikevote.services import credentials, tally, trustees, votes
from strikevote.services.credentials import letter_name
from strikevote.services.definition import VoteDefinition, parse_definition
from strikevote.services.errors import StateError

NOW = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)
PASSPHRASE = b"unit test trustee passphrase"
VOTE = "unit-vote"


def definition(closes: datetime = NOW + timedelta(days=2)) -> VoteDefinition:
    return parse_definition(
        {
            "id": VOTE,
            "union": "Unit Test Union",
            "notice": (NOW - timedelta(days=30)).date(),
            "window": {"opens": NOW - timedelta(hours=1), "closes": closes, "timezone": "UTC"},
            "trustees": {"n": 1, "k": 1},
            "eligibility": {"cutoff": date(2024, 4, 30)},
            "locals": [{"id": "44", "name": "Local 44"}, {"id": "80", "name": "Local 80"}],
        },
        "unit vote",
    )


def roll() -> Roll:
    return Roll.from_members(
        Member(f"{local}-{i}", f"Member {local}-{i}", f"m{local}{i}@example.org", local, "active", None, True)
        for local in ("44", "80")
        for i in range(1, 4)
    )


@pytest.fixture
def db(tmp_path: Path) -> sessionmaker[Session]:
    """A vote in state ``credentials``."""
    sm = open_db(f"sqlite:///{tmp_path / 'sv.db'}")
    rng = SystemRandomness()
    votes.call_vote(sm, definition(), roll(), NOW)
    key = tmp_path / "trustee-1.key"
    trustees.init_trustee(sm, VOTE, 1, key, rng, passphrase=PASSPHRASE)
    trustees.publish_polynomial(sm, VOTE, key, rng, passphrase=PASSPHRASE)
    trustees.finish_trustee(sm, VOTE, key, rng, passphrase=PASSPHRASE)
    trustees.setup_elections(sm, VOTE, rng)
    return sm


def state(db: sessionmaker[Session]) -> str:
    with db() as s:
        vote = s.get(models.Vote, VOTE)
        assert vote is not None
        return vote.state


def count(db: sessionmaker[Session], model: Any) -> int:
    with db() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def files(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*"))


def issue(db: sessionmaker[Session], outbox: Path) -> list[credentials.Letter]:
    return credentials.issue_credentials(db, VOTE, outbox, SystemRandomness(), NOW)


# -- letter names ----------------------------------------------------------------------------------------


def test_letter_name_keeps_valid_ids() -> None:
    assert letter_name("44", "44-000123") == "44-44-000123.eml"
    assert letter_name("local_7", "A.b-C_9") == "local_7-A.b-C_9.eml"


@pytest.mark.parametrize(
    "member_id", ["../../PWNED", "/etc/passwd", "..", ".", ".hidden", "a/b", "a\\b", "x" * 300, "", "é/é"]
)
def test_letter_name_never_leaves_the_outbox(member_id: str) -> None:
    name = letter_name("44", member_id)
    assert name == Path(name).name and "/" not in name and "\\" not in name
    assert not name.startswith(".") and name.endswith(".eml") and len(name) < 200
    assert name.startswith("44-")


def test_letter_names_of_distinct_unsafe_ids_differ() -> None:
    names = {letter_name("44", i) for i in ("a/b", "a\\b", "a b", "a_b", "a?b", "../a_b")}
    assert len(names) == 6


# -- issuing ---------------------------------------------------------------------------------------------


def test_an_unsafe_member_id_already_stored_gets_a_safe_letter(
    db: sessionmaker[Session], tmp_path: Path
) -> None:
    # A vote called before the roll importer checked ids may hold one; its letter stays in the outbox.
    with db.begin() as s:
        s.execute(
            update(models.Member)
            .where(models.Member.vote_id == VOTE, models.Member.member_id == "44-1")
            .values(member_id="../../PWNED")
        )
    outbox = tmp_path / "out" / "letters"
    letters = issue(db, outbox)
    assert state(db) == "open"
    assert len(letters) == 6
    pwned = next(x for x in letters if x.member_id == "../../PWNED")
    assert pwned.path.parent == outbox and pwned.path.is_file()
    assert not (tmp_path / "PWNED.eml").exists()
    assert files(outbox) == sorted(x.path.name for x in letters)  # no staging directory left behind
    assert all(x.path.stat().st_mode & 0o777 == 0o600 for x in letters)


def test_a_failed_letter_leaves_nothing_and_issuing_can_be_retried(
    db: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outbox = tmp_path / "outbox"
    real_write = credentials._write_private
    written: list[Path] = []

    def failing_write(path: Path, data: bytes) -> None:
        if len(written) == 4:
            raise OSError(28, "No space left on device", str(path))
        real_write(path, data)
        written.append(path)

    monkeypatch.setattr(credentials, "_write_private", failing_write)
    with pytest.raises(OSError, match="No space left"):
        issue(db, outbox)
    assert state(db) == "credentials"
    assert files(outbox) == []  # no stale letter holding a credential that was never registered
    assert (count(db, models.Credential), count(db, models.Outbox), count(db, models.Event)) == (0, 0, 0)

    monkeypatch.setattr(credentials, "_write_private", real_write)
    letters = issue(db, outbox)
    assert state(db) == "open"
    assert files(outbox) == sorted(x.path.name for x in letters) and len(letters) == 6
    assert count(db, models.Credential) == 6


def test_a_failed_commit_removes_the_letters_already_moved_into_place(
    db: sessionmaker[Session], tmp_path: Path
) -> None:
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    (outbox / "unrelated.txt").write_text("kept")

    def refuse(_session: Session) -> None:
        raise RuntimeError("database went away")

    event.listen(db, "before_commit", refuse)
    with pytest.raises(RuntimeError, match="went away"):
        issue(db, outbox)
    event.remove(db, "before_commit", refuse)
    assert state(db) == "credentials"
    assert files(outbox) == ["unrelated.txt"]
    assert len(issue(db, outbox)) == 6
    assert state(db) == "open"


def test_issuing_twice_is_refused_without_touching_the_letters(
    db: sessionmaker[Session], tmp_path: Path
) -> None:
    outbox = tmp_path / "outbox"
    letters = issue(db, outbox)
    before = {x.path.name: x.path.read_bytes() for x in letters}
    with pytest.raises(StateError, match="is open"):
        issue(db, outbox)
    assert {p.name: p.read_bytes() for p in outbox.iterdir()} == before


def test_an_unusable_outbox_fails_before_anything_is_stored(
    db: sessionmaker[Session], tmp_path: Path
) -> None:
    outbox = tmp_path / "outbox"
    outbox.write_text("a file, not a directory")
    with pytest.raises(FileExistsError):
        issue(db, outbox)
    assert state(db) == "credentials"
    assert count(db, models.Credential) == 0


# -- closing ---------------------------------------------------------------------------------------------


def test_closing_before_the_window_ends_is_refused_unless_early(
    db: sessionmaker[Session], tmp_path: Path
) -> None:
    issue(db, tmp_path / "outbox")
    closes = definition().closes
    with pytest.raises(StateError) as info:
        tally.close_and_tally(db, VOTE, closes - timedelta(hours=2, minutes=5))
    message = str(info.value)
    assert f"open until {closes.isoformat()} (UTC), 2 h 5 min from now" in message
    assert "--early" in message
    assert state(db) == "open"
    assert tally.close_and_tally(db, VOTE, closes - timedelta(hours=2), early=True) == {"44": 0, "80": 0}
    assert state(db) == "closed"


def test_closing_at_or_after_the_window_end_needs_no_flag(db: sessionmaker[Session], tmp_path: Path) -> None:
    issue(db, tmp_path / "outbox")
    assert tally.close_and_tally(db, VOTE, definition().closes) == {"44": 0, "80": 0}
    assert state(db) == "closed"


def test_close_time_must_be_timezone_aware() -> None:
    closes = definition().closes
    with pytest.raises(ValueError, match="timezone-aware"):
        tally.check_close_time(VOTE, closes, "UTC", closes.replace(tzinfo=None), early=False)
    with pytest.raises(StateError, match="3 d"):
        tally.check_close_time(VOTE, closes, "UTC", closes - timedelta(days=3), early=False)


# -- the commands ----------------------------------------------------------------------------------------

VOTE_TOML = """
id = "cli-vote"
union = "Unit Test Union"
notice = 2024-04-01

[window]
opens = 2024-05-06T09:00:00
closes = 2024-05-08T17:00:00

[trustees]
n = 1
k = 1

[eligibility]
cutoff = 2024-04-30

[[locals]]
id = "44"
name = "Local 44"
"""


def test_vote_create_refuses_a_roll_with_an_unsafe_member_id(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from strikevote.cli.main import app

    (tmp_path / "vote.toml").write_text(VOTE_TOML)
    roll_csv = tmp_path / "roll.csv"
    roll_csv.write_text(
        "member_id,name,email,local,status,dues_paid_through,dues_checkoff\n"
        "44-1,Maria Garcia,maria@example.org,44,active,2024-04-30,no\n"
        "../../PWNED,Mallory,mallory@example.org,44,active,2024-04-30,no\n"
    )
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    args = [
        "vote",
        "create",
        "--vote-file",
        str(tmp_path / "vote.toml"),
        "--roll",
        str(roll_csv),
        "--db",
        url,
    ]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 2, r.output
    assert f"{roll_csv}:3: member_id: '../../PWNED' must start with a letter or digit" in r.output
    assert "the roll was not imported" in r.output
    with open_db(url)() as s:
        assert s.scalar(select(func.count()).select_from(models.Vote)) == 0


def test_credentials_issue_failure_says_nothing_was_issued(
    db: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from strikevote.cli.main import app

    def no_space(path: Path, _data: bytes) -> None:
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(credentials, "_write_private", no_space)
    outbox = tmp_path / "outbox"
    url = f"sqlite:///{tmp_path / 'sv.db'}"
    r = CliRunner().invoke(app, ["credentials", "issue", VOTE, "--outbox", str(outbox), "--db", url])
    assert r.exit_code == 2, r.output
    assert "No space left on device; no credential was issued and no letter was left in" in r.output
    assert "run `strikevote credentials issue` again" in r.output
    assert state(db) == "credentials"
    assert files(outbox) == []
