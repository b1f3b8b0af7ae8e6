"""The reliability suite (issue 11): the real server over HTTP on SQLite and PostgreSQL, under races, crashes,
database restarts, a locked file, a full disk, fuzzing and a soak.  Each experiment is repeated and counted.

``STRIKEVOTE_RELIABILITY_SCALE`` (default 1) multiplies the number of trials and the soak's length (the
2-minute soak of the issue is ``bench/soak.py``).  The helpers of the server tests are shared:
``tests/integration`` is put on ``sys.path``.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "integration"))

SCALE = float(os.environ.get("STRIKEVOTE_RELIABILITY_SCALE", "1"))


def trials(n: int) -> int:
    return max(1, round(n * SCALE))


def _pg_admin(server: Any) -> Any:
    import psycopg

    return psycopg.connect(
        host=server.host,
        port=server.port,
        user=server.username,
        password=server.password,
        dbname=server.database or "postgres",
        autocommit=True,
    )


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database for one module: a SQLite file or a private database on the test PostgreSQL server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('rel-db') / 'server.sqlite3'}"
        return
    from psycopg import sql

    server = make_url(request.getfixturevalue("pg_url"))
    name = f"strikevote_rel_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{uuid.uuid4().hex[:10]}"
    with _pg_admin(server) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with _pg_admin(server) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
