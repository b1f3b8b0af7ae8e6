"""Engines, write transactions and the schema version.  SQLite (WAL) by default; PostgreSQL (psycopg 3) by URL.

Commands do not run Alembic on every call: :func:`connect` reads the schema's revision (one query) and migrates
only a database that is empty or behind the code; a read-only caller never creates a database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"
_IMMEDIATE = "strikevote_write"  # execution option: begin this transaction with SQLite's BEGIN IMMEDIATE


class SchemaError(Exception):
    """The database cannot be used as it is: missing, or its schema is newer than this program's."""


def normalise_url(url: str) -> str:
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        # A writer waits up to 10 s for the write lock (WAL: readers never wait); the services retry after that
        # and then answer "busy" rather than keep a client waiting on a file another process has locked.
        engine = create_engine(url, connect_args={"timeout": 10})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(conn: Any, _record: Any) -> None:
            # pysqlite's own BEGIN is deferred and emitted late; we emit BEGIN ourselves (below), so that a write
            # transaction can take the write lock before it reads anything (SQLAlchemy's documented recipe).
            conn.isolation_level = None
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")  # an acknowledged ballot survives a power cut
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            conn.exec_driver_sql(
                "BEGIN IMMEDIATE" if conn.get_execution_options().get(_IMMEDIATE) else "BEGIN"
            )

        return engine
    return create_engine(url, pool_pre_ping=True)


@contextmanager
def begin_write(db: sessionmaker[Session]) -> Iterator[Session]:
    """A transaction that will write: committed on success, rolled back on error.

    On SQLite it starts with ``BEGIN IMMEDIATE``: the database's write lock is taken (waiting up to the busy
    timeout) before the first read, so what the transaction reads cannot go stale before it writes, and two
    writers never interleave.  PostgreSQL callers lock the rows they depend on (``SELECT … FOR UPDATE/SHARE``).
    """
    with db.begin() as s:
        s.connection(execution_options={_IMMEDIATE: True})
        yield s


def engine_of(db: sessionmaker[Session]) -> Engine:
    bind = db.kw.get("bind")
    if not isinstance(bind, Engine):
        raise TypeError("the session factory is not bound to an engine")
    return bind


@contextmanager
def reading(conn: Connection) -> Iterator[Connection]:
    """A few reads that need no transaction of their own: PostgreSQL in autocommit (no BEGIN and COMMIT round
    trips); SQLite in a deferred transaction, which costs nothing there."""
    if conn.dialect.name == "postgresql":
        conn.execution_options(isolation_level="AUTOCOMMIT")
    try:
        yield conn
    finally:
        conn.rollback()


@contextmanager
def writing(conn: Connection) -> Iterator[Connection]:
    """:func:`begin_write` for Core statements on ``conn``: committed on success, rolled back on error; SQLite
    begins with ``BEGIN IMMEDIATE``."""
    if conn.dialect.name == "postgresql":
        conn.execution_options(isolation_level=conn.default_isolation_level)
    conn.execution_options(**{_IMMEDIATE: True})
    try:
        with conn.begin():
            yield conn
    finally:
        conn.execution_options(**{_IMMEDIATE: False})


def is_sqlite(s: Session) -> bool:
    return s.get_bind().dialect.name == "sqlite"


@cache
def revision_chain() -> tuple[str, ...]:
    """Revision ids from the first migration to the head, read from the version files (importing Alembic to
    ask it costs more than the rest of a short command)."""
    downs: dict[str, str | None] = {}
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        rev = re.search(r'^revision\s*=\s*["\']([^"\']+)["\']', source, re.M)
        down = re.search(r'^down_revision\s*=\s*["\']([^"\']+)["\']', source, re.M)
        if rev:
            downs[rev.group(1)] = down.group(1) if down else None
    heads = set(downs) - {d for d in downs.values() if d}
    if len(heads) != 1:
        raise SchemaError(f"the migrations have {len(heads)} heads ({', '.join(sorted(heads))}), not one")
    chain: list[str] = []
    cur: str | None = heads.pop()
    while cur is not None and cur not in chain:
        chain.append(cur)
        cur = downs.get(cur)
    return tuple(chain[::-1])


def head_revision() -> str:
    return revision_chain()[-1]


def schema_revision(engine: Engine) -> str | None:
    """The database's Alembic revision; None for a database without strikevote's tables."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        rev = conn.scalar(text("SELECT version_num FROM alembic_version"))
        return None if rev is None else str(rev)


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest Alembic revision."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for PostgreSQL or an in-memory database)."""
    u = make_url(normalise_url(url))
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def connect(url: str, *, create: bool = True) -> sessionmaker[Session]:
    """Open a database for one command.

    The schema's revision is checked (one query); Alembic runs only when the database is empty or behind.
    With ``create=False`` (read-only commands) a missing SQLite file is not created and an empty database is not
    given tables: :class:`SchemaError` says so instead.
    """
    path = sqlite_file(url)
    if not create and path is not None and not path.is_file():
        raise SchemaError(f"no database at {path} (give --db, or set STRIKEVOTE_DB)")
    engine = make_engine(url)
    try:
        current = schema_revision(engine)
        head = head_revision()
        if current != head:
            if current is not None and current not in revision_chain():
                raise SchemaError(
                    f"the database's schema is at revision {current}, unknown to this version of strikevote "
                    f"(which knows up to {head}): upgrade strikevote"
                )
            if current is None and not create:
                raise SchemaError("the database holds no strikevote tables (create a vote first)")
            migrate(engine)
    except BaseException:
        engine.dispose()
        raise
    return sessionmaker(engine, expire_on_commit=False)


def open_db(url: str) -> sessionmaker[Session]:
    """Open a database, creating or migrating its schema as needed (library callers, tests, the demo)."""
    return connect(url, create=True)
