"""Migrations: the models and the Alembic history agree, and an unmigrated database is refused."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

import server.models  # noqa: F401 - registers the tables
from server.app import create_app
from server.config import Settings
from server.db import make_engine, migrate, require_migrated, schema_revision, writer_turn
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


HOLD_THE_TURN = """
import sys
from server.db import make_engine, writer_turn
engine = make_engine(sys.argv[1])
with writer_turn(engine):
    print("held", flush=True)
    sys.stdin.read()  # until the test closes our stdin
"""


def test_sqlite_writers_of_other_processes_wait_for_the_turn(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'turns.sqlite3'}"
    holder = subprocess.Popen([sys.executable, "-c", HOLD_THE_TURN, url], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == b"held\n"
        lock_file = os.open(tmp_path / "turns.sqlite3.writer-lock", os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):  # another process holds the turn
                fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(lock_file)
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        assert holder.wait(timeout=30) == 0
        assert holder.stdout is not None
        holder.stdout.close()
    engine = make_engine(url)
    with writer_turn(engine), writer_turn(make_engine("postgresql://nobody@127.0.0.1:1/none")):
        lock_file = os.open(tmp_path / "turns.sqlite3.writer-lock", os.O_RDWR)
        try:
            with pytest.raises(BlockingIOError):  # this process holds it now
                fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(lock_file)
    lock_file = os.open(tmp_path / "turns.sqlite3.writer-lock", os.O_RDWR)
    fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released: free for anyone
    os.close(lock_file)
    engine.dispose()
