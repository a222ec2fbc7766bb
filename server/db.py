"""Engine creation (SQLite in WAL mode, or PostgreSQL) and the Alembic migration gate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event

from server.errors import DatabaseNotMigrated

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str) -> Engine:
    """An engine for url; SQLite gets WAL, full fsync, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")  # a 201 is a promise: the commit must survive power loss
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (safe to run again)."""
    if engine.url.get_backend_name() == "sqlite" and engine.url.database:
        Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(_alembic_config(engine), "head")


def schema_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def require_migrated(engine: Engine) -> None:
    """Refuse to go on when the database is not at the newest revision, saying which command fixes it."""
    head = ScriptDirectory.from_config(_alembic_config(engine)).get_current_head()
    current = schema_revision(engine)
    if current != head:
        raise DatabaseNotMigrated(
            f"Cơ sở dữ liệu chưa được cập nhật (phiên bản {current or 'trống'}, cần {head}). Hãy chạy: tgpl init",
            f"The database is not migrated (at {current or 'nothing'}, needs {head}). Run: tgpl init",
        )
