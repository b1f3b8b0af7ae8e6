"""The command line end to end on SQLite: every step of a vote as the committee, trustees, credential authority
and members would type it; and bad input giving one line on stderr and exit 2, refusals exit 1."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result
from vote_kit import definition_dict, toml_text, write_roll

from strikevote.cli.main import app
from strikevote.db.engine import open_db
from strikevote.db.models import Election

runner = CliRunner()


def sv(*args: object, code: int = 0, env: dict[str, str] | None = None, input: str | None = None) -> Result:
    result = runner.invoke(app, [str(a) for a in args], env=env, input=input)
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not crashed, f"{args} raised {result.exception!r}\n{result.output}"
    assert result.exit_code == code, f"{args} exited {result.exit_code}, not {code}:\n{result.output}"
    if code:
        lines = result.stderr.strip().splitlines()
        assert lines and all(line.startswith("strikevote ") for line in lines), result.stderr
        assert "Traceback" not in result.output
    return result


class Ceremony:
    """Three trustees, each on their own machine (a directory of their own, no database): the committee
    exports, each trustee runs the step from a copy of the export, the committee imports each message."""

    def __init__(self, tmp: Path, env: dict[str, str], vote: str = "cli-vote") -> None:
        self.tmp, self.env, self.vote = tmp, env, vote
        self.machines = [tmp / f"machine-{i}" for i in (1, 2, 3)]
        for i, m in enumerate(self.machines, start=1):
            m.mkdir()
            (m / "passphrase").write_text(f"trustee {i}'s long passphrase\n")

    def args(self, i: int, step: str) -> list[object]:
        m = self.machines[i - 1]
        return [
            "--from",
            m / f"export-{step}.json",
            "--out",
            m / f"{step}.msg",
            "--passphrase-file",
            m / "passphrase",
        ]

    def step(self, step: str, trustees: tuple[int, ...] = (1, 2, 3)) -> None:
        export = self.tmp / f"export-{step}.json"
        export.unlink(missing_ok=True)
        sv("trustee", "export", self.vote, "--out", export, env=self.env)
        for i in trustees:
            m = self.machines[i - 1]
            shutil.copy(export, m / export.name)  # carried to the trustee's machine
            index = ["--index", i] if step == "init" else []
            sv("trustee", step, *index, *self.args(i, step), "--key-file", m / "trustee.key")
            assert (m / "trustee.key").stat().st_mode & 0o777 == 0o600
            r = sv("trustee", "import", self.vote, m / f"{step}.msg", env=self.env)
            assert "Imported" in r.stdout


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path, str]:
    vote_file = tmp_path / "vote.toml"
    vote_file.write_text(toml_text(definition_dict("cli-vote", rule="simple-majority")))
    roll = write_roll(tmp_path / "roll.csv", {"44": 4, "80": 3})
    return vote_file, roll, f"sqlite:///{tmp_path / 'sv.db'}"


def test_a_whole_vote_from_the_command_line(tmp_path: Path, files: tuple[Path, Path, str]) -> None:
    vote_file, roll, db = files
    env = {"STRIKEVOTE_DB": db}  # every command also takes --db
    r = sv("roll", "check", roll, "--vote-file", vote_file, "--csv", tmp_path / "ready.csv")
    assert "Roll OK: 7 eligible" in r.stdout
    assert (tmp_path / "ready.csv").read_text().splitlines()[0].startswith("local,members,eligible")
    r = sv("vote", "create", "--vote-file", vote_file, "--roll", roll, "--db", db)
    assert "Vote called: cli-vote" in r.stdout and "warning" in r.stdout  # locals under 10 members
    sv("vote", "create", "--vote-file", vote_file, "--roll", roll, "--db", db, code=2)  # same id twice
    sv("tally", "close", "cli-vote", env=env, code=1)  # not open: refused
    ceremony = Ceremony(tmp_path, env)
    ceremony.step("init")
    again = [*ceremony.args(1, "init")[:2], "--out", tmp_path / "again.msg", *ceremony.args(1, "init")[4:]]
    sv("trustee", "init", "--index", 1, *again, "--key-file", tmp_path / "again.key")  # from the old export
    r = sv("trustee", "import", "cli-vote", tmp_path / "again.msg", env=env, code=1)
    assert "again.msg: trustee 1 already has a certificate" in r.stderr
    sv("vote", "setup", "cli-vote", env=env, code=1)  # polynomials missing
    for step in ("polynomial", "finish"):
        ceremony.step(step)
    r = sv("vote", "setup", "cli-vote", env=env)
    assert "Trustees' fingerprint" in r.stdout
    r = sv("credentials", "issue", "cli-vote", "--outbox", tmp_path / "outbox", env=env)
    assert "7 credential letter(s)" in r.stdout
    letters = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(letters) == 7

    trackers = []
    choices = ["yes", "yes", "no", "yes", "yes", "no"]  # 44: 3 yes 1 no; 80: 1 yes 1 no (+1 no below)
    for i, (letter, choice) in enumerate(zip(letters, choices, strict=False)):
        ballot = tmp_path / f"ballot-{i}.json"
        if i % 2:  # the vote id is optional: the letter names the election
            vote_arg = ["cli-vote"] if i % 4 == 1 else []
            r = sv("ballot", "make", *vote_arg, "--letter", letter, "--choice", choice.upper(), env=env)
            ballot.write_text(r.stdout)
            assert json.loads(r.stdout)["election_uuid"]
        else:
            sv("ballot", "make", "cli-vote", "--letter", letter, "--choice", choice, "--out", ballot, env=env)
        r = sv("ballot", "cast", "cli-vote", ballot, env=env)
        trackers.append(r.stdout.split()[-1])
    r = sv("ballot", "cast", "cli-vote", tmp_path / "ballot-0.json", env=env)  # a re-send: the same receipt
    assert "already on the board" in r.stdout and trackers[0] in r.stdout
    r = sv("ballot", "cast", "cli-vote", tmp_path / "ballot-0.json", "--local", "80", env=env, code=1)
    assert "wrong-election" in r.stderr
    r = sv(
        "ballot",
        "make",
        "cli-vote",
        "--credential-file",
        "-",
        "--local",
        "44",
        "--choice",
        "yes",
        env=env,
        code=2,
        input="nope\n",
    )
    assert "credential" in r.stderr

    # a member offline: the election parameters from a file, the credential typed in
    last = letters[-1]
    credential = next(ln.split()[-1] for ln in last.read_text().splitlines() if "Your credential" in ln)
    with open_db(db)() as s:
        election_json = s.query(Election).filter_by(local_id=last.name.split("-")[0]).one().election_json
    (tmp_path / "election.json").write_text(election_json)
    cred_file = tmp_path / "credential.txt"
    cred_file.write_text(credential + "\n")
    r = sv(
        "ballot",
        "make",
        "--election-json",
        tmp_path / "election.json",
        "--credential-file",
        cred_file,
        "--choice",
        "no",
    )
    (tmp_path / "offline.json").write_text(r.stdout)
    sv("ballot", "cast", "cli-vote", tmp_path / "offline.json", "--db", db)

    r = sv("vote", "status", "cli-vote", env=env)
    assert "State: open" in r.stdout and "Trustees (2 of 3" in r.stdout
    r = sv("tally", "close", "cli-vote", env=env, code=1)  # the window is still open: only deliberately
    assert "--early" in r.stdout + r.stderr
    r = sv("tally", "close", "cli-vote", "--early", env=env)
    assert "TOTAL" in r.stdout
    r = sv("ballot", "cast", "cli-vote", tmp_path / "ballot-1.json", env=env)  # a re-send: its receipt
    assert "already on the board" in r.stdout and trackers[1] in r.stdout
    r = sv(
        "ballot",
        "make",
        "--election-json",
        tmp_path / "election.json",
        "--credential-file",
        cred_file,
        "--choice",
        "yes",
    )
    (tmp_path / "late.json").write_text(r.stdout)
    r = sv("ballot", "cast", "cli-vote", tmp_path / "late.json", env=env, code=1)  # a new ballot: closed
    assert "closed" in r.stderr
    sv("result", "decrypt", "cli-vote", env=env, code=1)  # no trustee has decrypted yet
    ceremony.step("decrypt", trustees=(1,))
    missing = ["--key-file", tmp_path / "missing.key", "--out", tmp_path / "never.msg"]
    r = sv("trustee", "decrypt", "--from", tmp_path / "export-decrypt.json", *missing, code=2)
    assert "missing.key" in r.stderr
    ceremony.step("decrypt", trustees=(3,))
    sv("result", "decrypt", "cli-vote", env=env)
    out = tmp_path / "bundle"
    r = sv("result", "publish", "cli-vote", "--out", out, "--jobs", 1, env=env)
    assert "VALID" in r.stdout
    result = json.loads((out / "result.json").read_text())
    assert {x["id"]: (x["yes"], x["no"]) for x in result["locals"]} == {"44": (3, 1), "80": (1, 2)}
    closed = datetime.fromisoformat(result["closed_at"])  # when it was closed, not the planned close
    assert abs((datetime.now(UTC) - closed).total_seconds()) < 600
    assert "All " in (out / "report.html").read_text()
    r = sv("verify", out, "--jobs", 1)
    assert "VALID" in r.stdout
    r = sv("vote", "status", "cli-vote", env=env)
    assert "State: published" in r.stdout and "2/2 locals" in r.stdout
    assert len(set(trackers)) == 6


def test_bad_roll_row_is_located(tmp_path: Path, files: tuple[Path, Path, str]) -> None:
    vote_file, roll, db = files
    lines = roll.read_text().splitlines()
    cells = lines[2].split(",")
    cells[2] = "not-an-email"
    lines[2] = ",".join(cells)
    roll.write_text("\n".join(lines) + "\n")
    r = sv("roll", "check", roll, "--vote-file", vote_file, code=2)
    assert f"{roll}:3: email" in r.stderr
    r = sv("vote", "create", "--vote-file", vote_file, "--roll", roll, "--db", db, code=2)
    assert f"{roll}:3" in r.stderr
    sv("vote", "status", "cli-vote", "--db", db, code=2)  # nothing was stored


def test_bad_input_exits_2_with_one_line(tmp_path: Path, files: tuple[Path, Path, str]) -> None:
    vote_file, roll, db = files
    vote_file.write_text(vote_file.read_text().replace("[trustees]", "[trustees]\nthreshold = 2"))
    r = sv("vote", "create", "--vote-file", vote_file, "--roll", roll, "--db", db, code=2)
    assert "'threshold'" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = sv("roll", "check", tmp_path / "nowhere.csv", "--vote-file", vote_file, code=2)
    r = sv("vote", "status", "no-such-vote", "--db", db, code=2)  # nothing was created by the failed create
    assert "no database at" in r.stderr and not (tmp_path / "sv.db").exists()
    r = sv("vote", "status", "x", "--db", f"sqlite:///{tmp_path / 'no' / 'dir' / 'sv.db'}", code=2)
    assert "database" in r.stderr
    sv("credentials", "issue", "x", "--outbox", tmp_path, "--smtp", "nohostport", "--db", db, code=2)


def test_credentials_sent_by_smtp(
    tmp_path: Path, files: tuple[Path, Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    vote_file, roll, db = files
    sent: list[tuple[str, list[str], bytes]] = []

    class FakeSMTP:
        def __init__(self, host: str, port: int, timeout: float) -> None:
            assert (host, port) == ("mail.example.org", 2525)

        def __enter__(self) -> FakeSMTP:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

        def sendmail(self, sender: str, to: list[str], msg: bytes) -> None:
            sent.append((sender, to, msg))

    monkeypatch.setattr("strikevote.cli.credentials_cmd.smtplib.SMTP", FakeSMTP)
    sv("vote", "create", "--vote-file", vote_file, "--roll", roll, "--db", db)
    ceremony = Ceremony(tmp_path, {"STRIKEVOTE_DB": db})
    for step in ("init", "polynomial", "finish"):
        ceremony.step(step)
    sv("vote", "setup", "cli-vote", "--db", db)
    r = sv(
        "credentials",
        "issue",
        "cli-vote",
        "--outbox",
        tmp_path / "out",
        "--smtp",
        "mail.example.org:2525",
        "--db",
        db,
    )
    assert "7 letter(s) sent" in r.stdout
    assert len(sent) == 7 and all(to[0].endswith("@example.org") for _, to, _ in sent)
    assert all(b"Your credential:" in msg for _, _, msg in sent)
