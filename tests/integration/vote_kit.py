"""Helpers of the integration tests: a small vote run through the real services, up to any step.

Imported by the test modules of this directory (pytest puts the directory of a test file on ``sys.path``).
"""

from __future__ import annotations

import random
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from strikevote.belenios.ballot import create_ballot
from strikevote.belenios.election import ElectionParams
from strikevote.cli.ballot_cmd import read_letter
from strikevote.crypto.credentials import derive_secret, generate_credential
from strikevote.crypto.randomness import SystemRandomness
from strikevote.db import models
from strikevote.roll import generate_roll, load_roll, write_roll_csv
from strikevote.services import credentials, trustees, votes
from strikevote.services.castore import CAStore
from strikevote.services.credentials import Letter
from strikevote.services.definition import VoteDefinition, parse_definition

NOW = datetime.now(UTC).replace(microsecond=0)
PASSPHRASE = b"integration test trustee passphrase"  # every simulated trustee key file's
CUTOFF = (NOW - timedelta(days=1)).date()
LOCALS = {"44": 8, "80": 8}


def definition_dict(
    vote_id: str,
    *,
    revote: str = "forbidden",
    locals_: dict[str, int] | None = None,
    n: int = 3,
    k: int = 2,
    rule: str = "articles-iatse",
    group: str = "Ed25519",
) -> dict[str, Any]:
    return {
        "id": vote_id,
        "union": "Integration Test Union",
        "title": "Strike authorization vote",
        "kind": "strike-authorization",
        "question": "Do you authorize a strike?",
        "group": group,
        "revote": revote,
        "rule": rule,
        "notice": (NOW - timedelta(days=30)).date(),
        "window": {"opens": NOW - timedelta(hours=1), "closes": NOW + timedelta(days=2), "timezone": "UTC"},
        "trustees": {"n": n, "k": k},
        "eligibility": {"cutoff": CUTOFF, "grace_days": 0, "require_email": True},
        "locals": [
            {"id": lid, "name": f"Local {lid}", "delegates": i + 1} for i, lid in enumerate(locals_ or LOCALS)
        ],
    }


def toml_text(d: dict[str, Any]) -> str:
    """The definition dict as a TOML file (the few shapes it uses)."""

    def val(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        if isinstance(v, datetime):
            return v.astimezone(UTC).replace(tzinfo=None).isoformat()
        if isinstance(v, date):
            return v.isoformat()
        if isinstance(v, list):
            return "[" + ", ".join(val(x) for x in v) + "]"
        return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [f"{key} = {val(v)}" for key, v in d.items() if not isinstance(v, dict | list)]
    for table in ("window", "trustees", "eligibility", "mail", "reminders"):
        if table in d:
            lines += ["", f"[{table}]", *(f"{key} = {val(v)}" for key, v in d[table].items())]
    for loc in d.get("locals", []):
        lines += ["", "[[locals]]", *(f"{key} = {val(v)}" for key, v in loc.items())]
    return "\n".join(lines) + "\n"


def write_roll(path: Path, sizes: dict[str, int], seed: int = 7) -> Path:
    members = generate_roll(list(sizes.items()), random.Random(seed), cutoff=CUTOFF)
    write_roll_csv(members, path)
    return path


@dataclass
class Kit:
    """A vote called, its key ceremony done, its elections set up and (unless stopped) its credentials issued."""

    db: sessionmaker[Session]
    vote_id: str
    defn: VoteDefinition
    tmp: Path
    keys: list[Path]
    elections: dict[str, ElectionParams] = field(default_factory=dict)
    letters: list[Letter] = field(default_factory=list)

    def letters_of(self, local: str) -> list[Letter]:
        return sorted((x for x in self.letters if x.local_id == local), key=lambda x: x.member_id)

    def ballot(self, letter: Letter, yes: bool) -> str:
        """What the member does: read the letter, derive the secret, encrypt and sign."""
        contents = read_letter(letter.path)
        election = self.elections[letter.local_id]
        assert contents.election_uuid == election.uuid
        return self.ballot_with(election, contents.credential, yes)

    def ballot_with(self, election: ElectionParams, credential: str, yes: bool) -> str:
        secret = derive_secret(election.group, election.uuid, credential)
        return create_ballot(election, secret, [[1, 0] if yes else [0, 1]], SystemRandomness()).raw

    def stranger_ballot(self, where: str | ElectionParams) -> str:
        """A well-formed ballot signed with a credential on no list, for a local of this vote or any election."""
        election = self.elections[where] if isinstance(where, str) else where
        return self.ballot_with(election, generate_credential(SystemRandomness()), True)


def open_vote(
    db: sessionmaker[Session],
    tmp: Path,
    vote_id: str = "it-vote",
    *,
    revote: str = "forbidden",
    sizes: dict[str, int] | None = None,
    n: int = 3,
    k: int = 2,
    issue: bool = True,
    seed: int = 1,
    extra: dict[str, Any] | None = None,
    roll_hook: Callable[[Path], None] | None = None,
    store: CAStore | None = None,
    group: str = "Ed25519",
) -> Kit:
    """``extra``: more keys of the definition (``mail``, ``reminders``, ``eligibility``); ``roll_hook`` edits
    the roll file before it is loaded; ``store``: issue into the credential authority's store."""
    sizes = sizes or LOCALS
    work = tmp / vote_id
    work.mkdir(parents=True, exist_ok=True)
    raw = definition_dict(vote_id, revote=revote, locals_=sizes, n=n, k=k, group=group)
    for key, value in (extra or {}).items():
        raw[key] = {**raw[key], **value} if isinstance(raw.get(key), dict) else value
    defn = parse_definition(raw, vote_id)
    roll_path = write_roll(work / "roll.csv", sizes, seed)
    if roll_hook is not None:
        roll_hook(roll_path)
    roll = load_roll(roll_path, set(sizes))
    called = votes.call_vote(db, defn, roll, NOW)
    if extra is None:
        assert len(called.snapshot.eligible) == sum(sizes.values())
    rng = SystemRandomness()
    keys = [work / f"trustee-{i}.key" for i in range(1, n + 1)]
    for i, key in enumerate(keys, start=1):
        trustees.init_trustee(db, vote_id, i, key, rng, passphrase=PASSPHRASE)
    for key in keys:
        trustees.publish_polynomial(db, vote_id, key, rng, passphrase=PASSPHRASE)
    for key in keys:
        trustees.finish_trustee(db, vote_id, key, rng, passphrase=PASSPHRASE)
    trustees.setup_elections(db, vote_id, rng)
    kit = Kit(db, vote_id, defn, work, keys)
    with db() as s:
        kit.elections = {
            el.local_id: ElectionParams.parse(el.election_json) for el in votes.elections(s, vote_id)
        }
    if issue:
        outbox = None if store is not None else work / "outbox"
        kit.letters = credentials.issue_credentials(db, vote_id, outbox, rng, NOW, store=store)
    return kit


def board_state(db: sessionmaker[Session]) -> tuple[list[Any], list[Any], int, list[Any]]:
    """Everything a refusal must leave untouched: every event, ballot row, record and trustee message."""
    with db() as s:
        events = sorted(
            tuple(r)
            for r in s.execute(select(models.Event.election_id, models.Event.height, models.Event.hash))
        )
        ballots = sorted(
            tuple(r)
            for r in s.execute(
                select(
                    models.Ballot.election_id,
                    models.Ballot.credential,
                    models.Ballot.seq,
                    models.Ballot.tracker,
                    models.Ballot.record_hash,
                )
            )
        )
        records = s.scalar(select(func.count()).select_from(models.Record)) or 0
        trustee_rows = sorted(
            tuple(r)
            for r in s.execute(
                select(
                    models.Trustee.vote_id,
                    models.Trustee.index,
                    models.Trustee.certificate,
                    models.Trustee.polynomial,
                    models.Trustee.verification_key,
                )
            )
        )
    return events, ballots, records, trustee_rows


def belenios_verify(tool: str, archive: Path, workdir: Path) -> str:
    """``belenios-tool election verify`` on a copy ``<uuid>.bel`` alone in its own directory."""
    election_uuid = _archive_uuid(archive)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / f"{election_uuid}.bel").write_bytes(archive.read_bytes())
    proc = subprocess.run(
        [tool, "election", "verify"], cwd=workdir, capture_output=True, text=True, timeout=300, check=False
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    return out


def _archive_uuid(archive: Path) -> str:
    import json

    from strikevote.belenios.archive import Event, read_entries

    data: dict[str, bytes] = {}
    for rec in read_entries(archive):
        if rec.kind == "data":
            data[rec.name_hash] = rec.content
        elif rec.kind == "event":
            ev = Event.parse(rec.content, str(archive))
            assert ev.type == "Setup" and ev.payload is not None
            setup = json.loads(data[ev.payload])
            return str(json.loads(data[setup["election"]])["uuid"])
    raise AssertionError(f"{archive}: no Setup event")


def archive_trackers(archive: Path) -> list[str]:
    """The tracker of every ballot on an archive's board, in order."""
    from strikevote.belenios.archive import Event, read_entries
    from strikevote.crypto.hashing import sha256_b64

    data: dict[str, bytes] = {}
    out = []
    for rec in read_entries(archive):
        if rec.kind == "data":
            data[rec.name_hash] = rec.content
        elif rec.kind == "event":
            ev = Event.parse(rec.content, str(archive))
            if ev.type == "Ballot" and ev.payload is not None:
                out.append(sha256_b64(data[ev.payload]))
    return out
