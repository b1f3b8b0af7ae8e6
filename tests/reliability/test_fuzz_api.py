"""Fuzzing the HTTP API with schemathesis, from the server's own ``/openapi.json``: every route, at least 1,000
generated cases, no status 500 and every response matching its documented schema."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from rel_kit import GroupServer, start_group_server
from server_kit import make_vote

from conftest import trials
from strikevote.db.engine import open_db

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
MIN_CASES = 1000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GroupServer]:
    work = tmp_path_factory.mktemp("fuzz")
    url = f"sqlite:///{work / 'fuzz.sqlite3'}"
    db = open_db(url)
    make_vote(db, work, "fuzz-vote")  # an open vote, so that some generated requests reach a real one
    db.kw["bind"].dispose()
    srv = start_group_server(url, work, workers=2)
    try:
        yield srv
    finally:
        srv.stop()


def test_schemathesis_finds_no_server_error(server: GroupServer, tmp_path: Path) -> None:
    per_operation = max(120, trials(120))
    proc = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{server.base}/openapi.json",
            "--checks",
            "not_a_server_error,response_schema_conformance,content_type_conformance",
            "--max-examples",
            str(per_operation),
            "--seed",
            "11",
            "--workers",
            "2",
            "--no-shrink",
            # schemathesis 4.32's coverage phase crashes inside its own negative-type generator on this schema
            # (AssertionError in coverage/_schema.py restrict); the generative phases exercise every route.
            "--phases",
            "examples,fuzzing,stateful",
            "--request-timeout",
            "60",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=1200,
        check=False,
    )
    out = proc.stdout + proc.stderr
    generated = re.search(r"(\d+) generated", out)
    assert generated is not None, out[-3000:]
    assert int(generated.group(1)) >= MIN_CASES, out[-3000:]
    assert "Selected: 9/9" in out or re.search(r"Tested: (\d+)", out), out[-3000:]
    assert proc.returncode == 0, out[-6000:]
    assert "500" not in re.findall(r"\[(\d{3})\]", out)
    print(f"schemathesis: {generated.group(1)} cases, 0 failures")
