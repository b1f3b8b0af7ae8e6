"""The Alembic migrations, on an empty SQLite and PostgreSQL database, build exactly the schema of the models;
they downgrade to an empty database and upgrade again; a second upgrade is a no-op."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from strikevote.db.engine import MIGRATIONS, make_engine, migrate
from strikevote.db.models import Base


def _config(conn: Any = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if conn is not None:
        cfg.attributes["connection"] = conn
    return cfg


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    try:
        yield engine
    finally:
        engine.dispose()


def _diff(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True, "render_as_batch": True}
        )
        return list(compare_metadata(ctx, Base.metadata))


def _revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_one_linear_history() -> None:
    script = ScriptDirectory.from_config(_config())
    assert len(script.get_heads()) == 1, script.get_heads()
    assert list(script.walk_revisions())[-1].down_revision is None


def test_migrations_build_the_models_schema(engine: Engine) -> None:
    assert _tables(engine) == set()
    migrate(engine)
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert _revision(engine) == head
    assert _tables(engine) == set(Base.metadata.tables)
    assert _diff(engine) == []
    migrate(engine)  # already at head: nothing to do, nothing changed
    assert _revision(engine) == head and _diff(engine) == []


def test_downgrade_to_base_and_upgrade_again(engine: Engine) -> None:
    migrate(engine)
    with engine.begin() as conn:  # a row, so the downgrade runs on a database in use
        conn.execute(
            text(
                "INSERT INTO votes (id, union_name, title, definition, group_name, state, roll_digest,"
                " created_at) VALUES ('v', 'u', 't', '{}', 'Ed25519', 'keys', 'd', CURRENT_TIMESTAMP)"
            )
        )
    with engine.begin() as conn:
        command.downgrade(_config(conn), "base")
    assert _revision(engine) is None
    assert _tables(engine) == set()
    migrate(engine)
    assert _tables(engine) == set(Base.metadata.tables)
    assert _diff(engine) == []
