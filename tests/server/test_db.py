"""Migrations: the models and the Alembic history agree, and an unmigrated database is refused."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

import server.models  # noqa: F401 - registers the tables
from server.app import create_app
from server.config import Settings
from server.db import make_engine, migrate, require_migrated, schema_revision
from server.errors import DatabaseNotMigrated


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_unmigrated_database_is_refused_with_the_command_that_fixes_it(settings: Settings) -> None:
    engine = make_engine(settings.resolved_database_url)
    with pytest.raises(DatabaseNotMigrated) as refused:
        create_app(settings, engine=engine)
    assert "tgpl init" in refused.value.message
    migrate(engine)
    migrate(engine)  # a second run is harmless
    require_migrated(engine)
    assert schema_revision(engine) == "0004"
    assert create_app(settings, engine=engine).state.engine is engine
    engine.dispose()


def test_sqlite_runs_in_wal_mode_with_full_sync(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.sqlite3'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_postgres_urls_use_psycopg3() -> None:
    settings = Settings(database_url="postgresql://postgres@127.0.0.1:5432/test")
    assert settings.resolved_database_url == "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    assert Settings(data_dir="/srv/tgpl").resolved_database_url == "sqlite:////srv/tgpl/tgpl.sqlite3"
