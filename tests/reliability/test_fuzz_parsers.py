"""Hypothesis on the parsers that read outside input: the roll importer, the vote-file parser, the ballot parser
(and the ballot box's first look at a ballot), and the archive reader.  Whatever the bytes, only the typed
errors come out (RollError, DefinitionError, FormatError/BallotRejected, ArchiveError/FormatError), never
another exception."""

from __future__ import annotations

import json
import random
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vote_kit import definition_dict, toml_text

from conftest import trials
from strikevote.belenios.ballot import parse_ballot
from strikevote.belenios.errors import ArchiveError, FormatError
from strikevote.crypto.groups import GROUPS
from strikevote.roll import RollError, load_roll
from strikevote.services import ballotbox
from strikevote.services.definition import load_definition
from strikevote.services.errors import BallotRejected, DefinitionError
from strikevote.verify.archive import verify_archive

VECTORS = Path(__file__).resolve().parent.parent / "vectors" / "belenios"
ARCHIVE = next((VECTORS / "belenios-3.0-Ed25519-simple").glob("*.bel"))
FUZZ = settings(
    max_examples=trials(150),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=True,
)
ROLL_HEADER = "member_id,name,email,local,status,dues_paid_through,dues_checkoff"
GOOD_ROW = "A-1,Ann Lee,ann@example.org,44,good standing,2026-12-01,no"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)


def _mutate(data: bytes, rnd: random.Random, edits: int) -> bytes:
    out = bytearray(data)
    for _ in range(edits):
        op = rnd.randrange(4)
        i = rnd.randrange(len(out) + 1)
        if op == 0 and out:
            out[min(i, len(out) - 1)] = rnd.randrange(256)
        elif op == 1:
            out[i:i] = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 8)))
        elif op == 2:
            del out[i : i + rnd.randrange(1, 64)]
        else:
            out = out[:i]
    return bytes(out)


@FUZZ
@given(
    rows=st.lists(st.lists(st.text(max_size=20), min_size=0, max_size=9), max_size=6), seed=st.integers(0, 99)
)
def test_roll_importer_raises_only_roll_errors(rows: list[list[str]], seed: int) -> None:
    rnd = random.Random(seed)
    lines = [
        ROLL_HEADER,
        GOOD_ROW,
        *(",".join(json.dumps(c) if rnd.random() < 0.5 else c for c in r) for r in rows),
    ]
    data = _mutate("\n".join(lines).encode(), rnd, rnd.randrange(3))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "roll.csv"
        path.write_bytes(data)
        try:
            load_roll(path, {"44", "80"})
        except RollError:
            pass


VALID_TOML = toml_text(definition_dict("fuzz-vote"))


@FUZZ
@given(seed=st.integers(0, 10_000), extra=st.text(max_size=80))
def test_vote_file_parser_raises_only_definition_errors(seed: int, extra: str) -> None:
    rnd = random.Random(seed)
    text = VALID_TOML if seed % 3 else VALID_TOML + "\n" + extra
    data = _mutate(text.encode(), rnd, rnd.randrange(4))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "vote.toml"
        path.write_bytes(data)
        try:
            load_definition(path)
        except DefinitionError:
            pass


def _sample_ballot() -> str:
    from strikevote.belenios.archive import read_entries

    for rec in read_entries(ARCHIVE):
        if rec.kind == "data" and b'"signature"' in rec.content and b'"answers"' in rec.content:
            return rec.content.decode()
    raise AssertionError("no ballot in the vector archive")


BALLOT = _sample_ballot()


@FUZZ
@given(seed=st.integers(0, 10_000), value=json_values)
def test_ballot_parser_raises_only_format_errors(seed: int, value: object) -> None:
    rnd = random.Random(seed)
    group = GROUPS["Ed25519"]
    if seed % 2:
        raw = _mutate(BALLOT.encode(), rnd, rnd.randrange(1, 4)).decode("utf-8", "replace")
    else:  # the valid ballot with one field replaced by anything JSON
        obj = json.loads(BALLOT)
        path = [rnd.choice(list(obj))]
        target = obj
        while isinstance(target[path[-1]], dict | list) and rnd.random() < 0.6:
            target = target[path[-1]]
            path.append(
                rnd.choice(list(target)) if isinstance(target, dict) else rnd.randrange(len(target) or 1)
            )
            if isinstance(target, list) and not target:
                break
        try:
            target[path[-1]] = value
        except (IndexError, TypeError):
            pass
        raw = json.dumps(obj)
    try:
        parse_ballot(group, raw)
    except FormatError:
        pass
    try:
        ballotbox.election_uuid_of(raw)
    except BallotRejected as exc:
        assert exc.reason == "invalid"


@settings(max_examples=trials(60), deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000))
def test_archive_reader_raises_only_typed_errors(seed: int) -> None:
    rnd = random.Random(seed)
    data = _mutate(ARCHIVE.read_bytes(), rnd, rnd.randrange(1, 4))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ARCHIVE.name
        path.write_bytes(data)
        try:
            verify_archive(path, jobs=1)
        except (ArchiveError, FormatError):
            pass
