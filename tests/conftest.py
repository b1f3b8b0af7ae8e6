"""Shared fixtures: the Belenios reference tools and the databases the tests run against.

Environment (``make test`` sets all of them; locally, missing tools and servers only skip):

* ``BELENIOS_TOOL_2`` / ``BELENIOS_TOOL_3``: paths of belenios-tool 2.0 and 3.0
  (defaults ``/usr/bin/belenios-tool`` and ``~/.cache/belenios-tool-3/belenios-tool-3``,
  installed by ``scripts/install-belenios-tool.sh``);
* ``STRIKEVOTE_REQUIRE_INTEROP=1``: a missing belenios-tool fails the test instead of skipping it;
* ``STRIKEVOTE_TEST_PG_URL``: SQLAlchemy URL of a PostgreSQL server (``postgresql+psycopg://...``)
  on which tests may create databases (``scripts/with-postgres.sh`` provides one);
* ``STRIKEVOTE_REQUIRE_PG=1``: a missing ``STRIKEVOTE_TEST_PG_URL`` fails the test instead of skipping it;
* ``STRIKEVOTE_REQUIRE_FULL_DISK=1`` (``make test`` as root): the full-disk tests of ``tests/reliability`` fail
  instead of skipping when they cannot mount their small tmpfs.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy.engine import URL, make_url

if TYPE_CHECKING:
    import psycopg

DEFAULT_BELENIOS_TOOL_2 = "/usr/bin/belenios-tool"
DEFAULT_BELENIOS_TOOL_3 = str(Path.home() / ".cache" / "belenios-tool-3" / "belenios-tool-3")


def _required(env_var: str) -> bool:
    return os.environ.get(env_var, "") == "1"


def _missing(reason: str, require_var: str) -> None:
    """Fail when ``require_var=1`` (CI), skip otherwise (a developer machine without the dependency)."""
    if _required(require_var):
        pytest.fail(f"{reason} ({require_var}=1)", pytrace=False)
    pytest.skip(reason)


def _belenios_tool(env_var: str, default: str) -> str:
    path = os.environ.get(env_var) or default
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        _missing(
            f"{env_var}: belenios-tool not found at {path} (run scripts/install-belenios-tool.sh)",
            "STRIKEVOTE_REQUIRE_INTEROP",
        )
    return path


@pytest.fixture(scope="session")
def belenios_tool_2() -> str:
    """Path of the reference belenios-tool 2.0 (BELENIOS-2048 group only)."""
    return _belenios_tool("BELENIOS_TOOL_2", DEFAULT_BELENIOS_TOOL_2)


@pytest.fixture(scope="session")
def belenios_tool_3() -> str:
    """Path of the reference belenios-tool 3.0 (adds the Ed25519 group)."""
    return _belenios_tool("BELENIOS_TOOL_3", DEFAULT_BELENIOS_TOOL_3)


@pytest.fixture(scope="session")
def pg_url() -> str:
    """SQLAlchemy URL of the PostgreSQL test server (shared: use ``db_url`` for a private database)."""
    url = os.environ.get("STRIKEVOTE_TEST_PG_URL", "")
    if not url:
        _missing(
            "STRIKEVOTE_TEST_PG_URL is not set (run under scripts/with-postgres.sh)",
            "STRIKEVOTE_REQUIRE_PG",
        )
    return url


def _admin_connect(server: URL) -> psycopg.Connection[tuple[Any, ...]]:
    import psycopg

    return psycopg.connect(
        host=server.host,
        port=server.port,
        user=server.username,
        password=server.password,
        dbname=server.database or "postgres",
        autocommit=True,
        connect_timeout=10,
    )


@contextmanager
def fresh_pg_database(pg_url: str, prefix: str) -> Iterator[str]:
    """URL of a new, uniquely named database on the test server (named after the xdist worker), dropped after."""
    from psycopg import sql

    server = make_url(pg_url)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"{prefix}_{worker}_{uuid.uuid4().hex[:12]}"
    with _admin_connect(server) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with _admin_connect(server) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def pg_database(pg_url: str) -> Iterator[str]:
    """URL of a fresh, uniquely named PostgreSQL database, dropped after the test.

    Each test (and each xdist worker) gets its own database, so tests never see each other's rows.
    """
    with fresh_pg_database(pg_url, "strikevote_test") as url:
        yield url


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """SQLAlchemy URL of an empty database: a SQLite file in ``tmp_path`` or a private PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'strikevote.sqlite3'}"
    return str(request.getfixturevalue("pg_database"))


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database for one module's server (shared by its tests): a SQLite file, or a fresh database on the
    PostgreSQL test server, named after the module and dropped after it."""
    short = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")[:20]
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp(short) / 'server.sqlite3'}"
        return
    with fresh_pg_database(request.getfixturevalue("pg_url"), f"strikevote_{short}") as url:
        yield url
