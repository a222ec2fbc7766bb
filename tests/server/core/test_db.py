"""Migrations: the models and the Alembic history agree, and an unmigrated database is refused."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

import server.core.models  # noqa: F401 - registers the tables
from server.app import create_app
from server.core import group_commit
from server.core.config import Settings
from server.core.db import alembic_config, make_engine, migrate, require_migrated, schema_revision, writer_turn
from server.core.errors import DatabaseNotMigrated
from server.core.group_commit import DurableConnection


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_the_person_form_already_stored_becomes_sensitive(settings: Settings) -> None:
    engine = make_engine(settings.resolved_database_url)
    config = alembic_config(engine)
    try:
        command.upgrade(config, "0005")
        with engine.begin() as connection:
            for form_id in ("tgpl_person", "tgpl_session", "other"):
                connection.execute(text("INSERT INTO form (xml_form_id, state, created_at) VALUES (:id, 'open', :at)"),
                                   {"id": form_id, "at": "2026-11-26 00:00:00+00:00"})  # fmt: skip
            # a published version refers to its form, as on every real database (a table copy would break it)
            version = text(
                "INSERT INTO form_version (form_id, version, title, xml, md5, sha256, binary_paths, published_at) "
                "SELECT id, '1', 'T', :xml, 'm', 's', '[]', created_at FROM form WHERE xml_form_id = 'tgpl_person'"
            )
            connection.execute(version, {"xml": b"<h:html/>"})
        command.upgrade(config, "head")
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT xml_form_id, sensitive FROM form ORDER BY xml_form_id")).all()
    finally:
        engine.dispose()
    assert [(form_id, bool(sensitive)) for form_id, sensitive in rows] == [
        ("other", False),
        ("tgpl_person", True),
        ("tgpl_session", False),
    ]


def test_the_village_counter_starts_past_every_code_already_stored(settings: Settings) -> None:
    engine = make_engine(settings.resolved_database_url)
    config = alembic_config(engine)
    try:
        command.upgrade(config, "0006")
        village = text(
            "INSERT INTO village (code, name, name_key, commune_code, status, source, created_at, updated_at) "
            "VALUES (:code, 'Thôn', 'thon', :commune, 'confirmed', 'import', :at, :at)"
        )
        with engine.begin() as connection:
            for code, commune in (
                ("01864-001", "01864"),  # generated
                ("01864-012", "01957"),  # given by hand in another commune: still the shape 01864 generates
                ("01864-3", "01864"),
                ("01957-0042", "01957"),
                ("01957-007x", "01957"),  # not a number after the dash
                ("Na-Pai", "01957"),
                ("01957-1234567890123456789", "01957"),  # beyond what counting from 1 can ever reach
            ):
                connection.execute(village, {"code": code, "commune": commune, "at": "2026-11-27 00:00:00+00:00"})
        command.upgrade(config, "head")
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT prefix, last FROM village_counter ORDER BY prefix")).all()
    finally:
        engine.dispose()
    assert [tuple(row) for row in rows] == [("01864", 12), ("01957", 42)]


def test_unmigrated_database_is_refused_with_the_command_that_fixes_it(settings: Settings) -> None:
    engine = make_engine(settings.resolved_database_url)
    with pytest.raises(DatabaseNotMigrated) as refused:
        create_app(settings, engine=engine)
    assert "tgpl init" in refused.value.message
    migrate(engine)
    migrate(engine)  # a second run is harmless
    require_migrated(engine)
    assert schema_revision(engine) == "0008"
    assert create_app(settings, engine=engine).state.engine is engine
    engine.dispose()


def test_sqlite_runs_in_wal_mode_with_its_own_durable_commits(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'wal.sqlite3'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL: DurableConnection fsyncs
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert isinstance(connection.connection.dbapi_connection, DurableConnection)
    engine.dispose()


def test_postgres_urls_use_psycopg3() -> None:
    settings = Settings(database_url="postgresql://postgres@127.0.0.1:5432/test")
    assert settings.resolved_database_url == "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    assert Settings(data_dir="/srv/tgpl").resolved_database_url == "sqlite:////srv/tgpl/tgpl.sqlite3"


HOLD_THE_TURN = """
import sys
from server.core.db import make_engine, writer_turn
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


def test_every_commit_waits_for_an_fsync_of_the_wal_begun_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The WAL fsync is the commit's durability: no commit may return before an fsync that began after it."""
    events: list[tuple[str, int]] = []
    lock = threading.Lock()
    real_fsync, real_finish = group_commit.fsync_file, group_commit._WalSync.finish

    def recorded_fsync(path: str) -> None:
        with lock:
            events.append(("fsync-start", 0))
        real_fsync(path)
        with lock:
            events.append(("fsync-end", 0))

    def recorded_finish(self: group_commit._WalSync) -> int:
        with lock:
            events.append(("committed", threading.get_ident()))
        return real_finish(self)

    monkeypatch.setattr(group_commit, "fsync_file", recorded_fsync)
    monkeypatch.setattr(group_commit._WalSync, "finish", recorded_finish)
    engine = make_engine(f"sqlite:///{tmp_path / 'durable.sqlite3'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (n INTEGER)"))
    events.clear()

    def write(n: int) -> None:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
        with lock:
            events.append(("returned", threading.get_ident()))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    returned = [n for n, (event, _) in enumerate(events) if event == "returned"]
    assert len(returned) == 40
    for end in returned:
        writer = events[end][1]
        committed = events.index(("committed", writer))
        between = [event for event, _ in events[committed:end]]
        assert "fsync-start" in between, events[committed : end + 1]
        assert "fsync-end" in between[between.index("fsync-start") :], events[committed : end + 1]
    fsyncs = sum(1 for event, _ in events if event == "fsync-start")
    assert 1 <= fsyncs <= 40
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM t")).scalar() == 40
    engine.dispose()


def test_commits_that_finish_during_an_fsync_share_the_next_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Group commit: while one fsync is held up, seven more commits finish; one more fsync makes all seven durable."""
    first_started, release_first = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow_first_fsync(path: str) -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            first_started.set()
            assert release_first.wait(timeout=30)

    monkeypatch.setattr(group_commit, "fsync_file", slow_first_fsync)
    engine = make_engine(f"sqlite:///{tmp_path / 'grouped.sqlite3'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (n INTEGER)"))
    calls.clear()
    sync = group_commit.wal_sync(str(tmp_path / "grouped.sqlite3"))
    done: list[int] = []

    def write(n: int) -> None:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
        done.append(n)

    first = threading.Thread(target=write, args=(0,))
    first.start()
    assert first_started.wait(timeout=30)  # commit 0 is waiting on its fsync, which is held up
    others = [threading.Thread(target=write, args=(n,)) for n in range(1, 8)]
    for thread in others:
        thread.start()
    deadline = 30.0
    while sync.finished < sync.durable + 8 and deadline > 0:  # all seven have committed and now wait
        threading.Event().wait(0.01)
        deadline -= 0.01
    assert sync.finished - sync.durable == 8
    assert done == []  # nobody has returned before its commit is durable
    release_first.set()
    for thread in [first, *others]:
        thread.join()
    assert sorted(done) == list(range(8))
    assert len(calls) == 2  # commit 0's fsync, then one fsync for the seven that finished meanwhile
    engine.dispose()


def test_a_commit_is_never_called_durable_when_its_files_cannot_be_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        group_commit.fsync_file(str(tmp_path / "nowhere.sqlite3-wal"))
    database = tmp_path / "checkpointed.sqlite3"
    database.write_bytes(b"")
    group_commit.fsync_file(f"{database}-wal")  # the WAL is gone after a checkpoint: the database is synced instead
