"""CLI startup and exit codes (issue 11): the schema's version is checked rather than migrated on every call,
read commands never create a database, a database outage is exit 3 (not 2, bad input), a named pipe is refused.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text
from test_cli import sv
from vote_kit import definition_dict, toml_text, write_roll

from strikevote.db.engine import MIGRATIONS, head_revision, make_engine, open_db, revision_chain

PROBE = """
import sys
from strikevote.cli.main import app
try:
    app(sys.argv[1:], standalone_mode=False)
finally:
    mods = set(sys.modules)
    print("IMPORTED", ",".join(sorted(m for m in ("alembic", "strikevote.verify.archive", "strikevote.demo.runner") if m in mods)), file=sys.stderr)
"""


def _probe(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "STRIKEVOTE_DB"}
    return subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120
    )


def _imported(proc: subprocess.CompletedProcess[str]) -> set[str]:
    line = next(x for x in proc.stderr.splitlines() if x.startswith("IMPORTED"))
    return set(filter(None, line.split(" ", 1)[1].split(",")))


def test_read_commands_never_create_a_database(tmp_path: Path) -> None:
    """Regression: `vote status` in an empty folder left an empty strikevote.db behind."""
    for args in (("vote", "status", "v"), ("vote", "list"), ("ballot", "cast", "v", "nowhere.json")):
        r = sv(*args, "--db", f"sqlite:///{tmp_path / 'strikevote.db'}", code=2)
        assert "no database at" in r.stderr or "nowhere.json" in r.stderr, r.stderr
    proc = _probe(
        "vote", "list", cwd=tmp_path
    )  # the default, sqlite:///strikevote.db in the working directory
    assert "no database at strikevote.db" in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_schema_checked_not_migrated_on_every_call(tmp_path: Path) -> None:
    """Regression: every command ran Alembic's upgrade (most of a short command's ~1.3 s)."""
    vote_file = tmp_path / "vote.toml"
    vote_file.write_text(toml_text(definition_dict("cli-vote", rule="simple-majority")))
    roll = write_roll(tmp_path / "roll.csv", {"44": 4})
    db = f"sqlite:///{tmp_path / 'sv.db'}"
    created = _probe(
        "vote", "create", "--vote-file", str(vote_file), "--roll", str(roll), "--db", db, cwd=tmp_path
    )
    assert created.returncode == 0, created.stderr
    assert "alembic" in _imported(created)  # a new database is created at the head revision
    listed = _probe("vote", "list", "--db", db, cwd=tmp_path)
    assert listed.returncode == 0 and "cli-vote" in listed.stdout
    # the schema is current: no Alembic, and nothing a listing does not use
    assert _imported(listed) == set()

    # a database one revision behind is migrated by the next command, once (an empty one: migration 0002's
    # downgrade rebuilds the votes table, which SQLite's foreign keys refuse while members refer to it)
    db = f"sqlite:///{tmp_path / 'behind.db'}"
    open_db(db).kw["bind"].dispose()
    engine = make_engine(db)
    with engine.begin() as conn:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision_chain()[-2])
    behind = _probe("vote", "list", "--db", db, cwd=tmp_path)
    assert behind.returncode == 0 and "alembic" in _imported(behind), behind.stderr
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT version_num FROM alembic_version")) == head_revision()
        # a schema from a newer strikevote is not touched: exit 2, in words
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        conn.commit()
    engine.dispose()
    r = sv("vote", "list", "--db", db, code=2)
    assert "revision 9999" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_database_outage_is_exit_3(tmp_path: Path) -> None:
    """Regression: a database that cannot be reached exited 2, which the README reserves for bad input."""
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"postgresql://strikevote@127.0.0.1:{port}/nothing"
    for args in (("vote", "list"), ("tally", "close", "v"), ("ballot", "cast", "v", "-")):
        r = sv(*args, "--db", url, code=3)
        assert "database unavailable" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_verify_refuses_a_named_pipe(tmp_path: Path) -> None:
    """Regression: `strikevote verify` on a FIFO hung waiting for a writer."""
    fifo = tmp_path / "archive.bel"
    os.mkfifo(fifo)
    r = sv("verify", fifo, code=2)
    assert "not a regular file" in r.stderr
    bundle = tmp_path / "bundle"
    (bundle / "locals").mkdir(parents=True)
    os.mkfifo(bundle / "vote.json")
    os.mkfifo(bundle / "locals" / "44.bel")
    proc = subprocess.run(
        [sys.executable, "-m", "strikevote.cli.main", "verify", str(bundle)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode in (1, 2) and "Traceback" not in proc.stderr, proc.stderr


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: d["locals"][0].update(id="l" * 65), "longer than 64"),
        (lambda d: d.update(union="U" * 201), "longer than 200"),
        (lambda d: d.update(title="T" * 301), "longer than 300"),
        (lambda d: d.update(id="v" * 65), "longer than 64"),
    ],
    ids=["local-id", "union", "title", "vote-id"],
)
def test_vote_create_validates_lengths_and_depth(tmp_path: Path, change, named: str) -> None:
    """Regression: a 500-character local id was accepted on SQLite and a database error on PostgreSQL; a rule of
    2,000 nested `not` raised RecursionError.  Now one line, exit 2, the same on every database."""
    d = definition_dict("cli-vote")
    change(d)
    vote_file = tmp_path / "vote.toml"
    vote_file.write_text(toml_text(d))
    roll = write_roll(tmp_path / "roll.csv", {"44": 2, "80": 2})
    r = sv(
        "vote",
        "create",
        "--vote-file",
        vote_file,
        "--roll",
        roll,
        "--db",
        f"sqlite:///{tmp_path / 'x.db'}",
        code=2,
    )
    assert named in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_trustee_names_fit_their_column() -> None:
    from strikevote.services.definition import parse_definition
    from strikevote.services.errors import DefinitionError

    d = definition_dict("v")
    d["trustees"]["names"] = ["N" * 201, "b", "c"]
    with pytest.raises(DefinitionError, match="longer than 200"):
        parse_definition(d, "vote.toml")


@pytest.mark.parametrize(
    "toml",
    [
        "x = " + "[" * 100_000 + "]" * 100_000 + "\n",
        'rule = { name = "deep", ' + "not = { " * 2000 + 'popular = ">= 1/2"' + " }" * 2001 + "\n",
    ],
    ids=["deep-array", "2000-nots"],
)
def test_deeply_nested_toml_is_one_line(tmp_path: Path, toml: str) -> None:
    vote_file = tmp_path / "vote.toml"
    vote_file.write_text(toml)
    roll = write_roll(tmp_path / "roll.csv", {"44": 2})
    r = sv(
        "vote",
        "create",
        "--vote-file",
        vote_file,
        "--roll",
        roll,
        "--db",
        f"sqlite:///{tmp_path / 'x.db'}",
        code=2,
    )
    assert "invalid TOML" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_rule_depth_is_bounded() -> None:
    """The rule engine refuses a rule nested deeper than it can evaluate (it also comes from a bundle's vote.json,
    in the verifier), in words."""
    from strikevote.rules import RuleError, load_rule
    from strikevote.rules.load import MAX_DEPTH

    load_rule({"name": "ok", **_nested_not(MAX_DEPTH - 2)})
    for depth in (MAX_DEPTH + 1, 2000, 100_000):
        with pytest.raises(RuleError, match="nested more than"):
            load_rule({"name": "deep", **_nested_not(depth)})


def _nested_not(n: int) -> dict[str, object]:
    node: dict[str, object] = {"popular": ">= 1/2"}
    for _ in range(n):
        node = {"not": node}
    return node
