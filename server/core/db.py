"""Engine creation (SQLite in WAL mode, or PostgreSQL) and the Alembic migration gate."""

from __future__ import annotations

import fcntl
import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event

from server.core.errors import DatabaseNotMigrated
from server.core.group_commit import DurableConnection, deferring

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str) -> Engine:
    """An engine for url; SQLite gets WAL, durable (group) commits, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        connect = {"check_same_thread": False, "timeout": 30, "factory": DurableConnection}
        engine = create_engine(url, connect_args=connect)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


@dataclass
class _Turn:
    """How writers of one SQLite database take turns: a lock for this process's threads, and a lock file
    (flock) for other processes on the same database, such as the workers of `tgpl serve --workers N`."""

    threads: threading.Lock
    file: int | None  # an open descriptor of <database>.writer-lock; None for an in-memory database


_TURNS: weakref.WeakKeyDictionary[Engine, _Turn] = weakref.WeakKeyDictionary()
_TURNS_LOCK = threading.Lock()


@contextmanager
def writer_turn(bind: Any) -> Iterator[None]:
    """Hold the SQLite write turn for a write transaction (PostgreSQL needs none: it locks rows).

    SQLite lets one connection write at a time; the others sleep and poll (1, 2, 5, … up to 100 ms a try) until it
    is free, which at eight phones sending at once cost more than the writes themselves. Writers wait on a lock
    instead and start the moment the previous commit ends. The commit's fsync is made after the turn is released,
    shared with the other commits that finished meanwhile (server.core.group_commit); the block returns only once its
    commits are durable.
    """
    engine = bind if isinstance(bind, Engine) else getattr(bind, "engine", None)
    if engine is None or engine.url.get_backend_name() != "sqlite":
        yield
        return
    with _TURNS_LOCK:
        turn = _TURNS.get(engine)
        if turn is None:
            database = engine.url.database
            fd = None
            if database and database != ":memory:":
                fd = os.open(f"{database}.writer-lock", os.O_RDWR | os.O_CREAT, 0o600)
            turn = _TURNS[engine] = _Turn(threading.Lock(), fd)
    with deferring() as wait_durable:
        with turn.threads:
            if turn.file is not None:
                fcntl.flock(turn.file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                if turn.file is not None:
                    fcntl.flock(turn.file, fcntl.LOCK_UN)
        wait_durable()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # A 201 is a promise: every commit must survive power loss. The WAL is fsynced after each commit by
    # DurableConnection (group commit) rather than inside it, as synchronous=FULL would.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def alembic_config(engine: Engine) -> Config:
    """Alembic's configuration for tgpl's migrations on this engine (what `migrate` runs; tests step through it)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (safe to run again)."""
    if engine.url.get_backend_name() == "sqlite" and engine.url.database:
        Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(engine), "head")


def schema_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def require_migrated(engine: Engine) -> None:
    """Refuse to go on when the database is not at the newest revision, saying which command fixes it."""
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    current = schema_revision(engine)
    if current != head:
        raise DatabaseNotMigrated(
            f"Cơ sở dữ liệu chưa được cập nhật (phiên bản {current or 'trống'}, cần {head}). Hãy chạy: tgpl init",
            f"The database is not migrated (at {current or 'nothing'}, needs {head}). Run: tgpl init",
        )
