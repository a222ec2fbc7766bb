"""Group commit for SQLite: each commit returns only once it is on disk, and commits that finish together share
one fsync of the write-ahead log.

SQLite in WAL mode with synchronous=FULL fsyncs the WAL inside every commit, while the committing connection holds
the database's only write lock: on a slow disk (a busy virtual machine, an SD card) every phone then waits for every
other phone's fsync in turn. With synchronous=NORMAL a commit only appends its frames to the WAL; this connection
class then makes it durable itself, after the write lock is released: the first committer to arrive fsyncs the WAL,
and every commit that had finished before that fsync began is durable when it returns, so one fsync serves all of
them. Durability is that of synchronous=FULL (SQLite syncs the WAL before each checkpoint and the database after
it, so frames already checkpointed out of the WAL are durable too); only the waiting is shared.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class _WalSync:
    """The shared fsync of one database's WAL, with sequence numbers: commits finished, and commits made durable."""

    def __init__(self, wal: str) -> None:
        self.wal = wal
        self.ready = threading.Condition()
        self.finished = 0  # commits that have returned from sqlite3's commit()
        self.durable = 0  # every commit numbered up to this one is on disk
        self.syncing = False

    def finish(self) -> int:
        """Count a commit that has just returned from sqlite3; its number, to wait on."""
        with self.ready:
            self.finished += 1
            return self.finished

    def wait(self, commit: int) -> None:
        """Block until commit is on disk, doing the fsync if nobody else is doing one."""
        with self.ready:
            while self.durable < commit:
                if self.syncing:
                    self.ready.wait()
                    continue
                self.syncing = True
                covered = self.finished  # every commit counted so far finished before this fsync starts
                self.ready.release()
                try:
                    fsync_file(self.wal)
                finally:
                    self.ready.acquire()
                    self.syncing = False
                    self.ready.notify_all()
                self.durable = max(self.durable, covered)


def fsync_file(path: str) -> None:
    """fsync a WAL by its path. A WAL that is gone was checkpointed into the database, which SQLite synced; the
    database file is synced then too, and a database that cannot be found is an error, never a silent success."""
    for candidate in (path, path.removesuffix("-wal")):
        try:
            fd = os.open(candidate, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        return
    raise FileNotFoundError(f"neither the WAL nor the database exists: {path}")


_SYNCS: dict[str, _WalSync] = {}
_SYNCS_LOCK = threading.Lock()


def wal_sync(database: str) -> _WalSync:
    """The one WAL sync of a database file in this process."""
    wal = os.path.realpath(database) + "-wal"
    with _SYNCS_LOCK:
        return _SYNCS.setdefault(wal, _WalSync(wal))


_deferred = threading.local()  # inside writer_turn: the commits this thread must still wait for


class DurableConnection(sqlite3.Connection):
    """A sqlite3 connection (used with synchronous=NORMAL) whose commit is durable before the caller goes on:
    commit() waits, except inside `deferring()`, which waits once the write turn is released."""

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        name = os.fspath(database)
        self._sync = wal_sync(name) if isinstance(name, str) and name and name != ":memory:" else None

    def commit(self) -> None:
        """Commit; then wait until the WAL holding it has been fsynced (by this thread or another), or leave that
        to the end of `deferring()`."""
        was_writing = self.in_transaction
        super().commit()
        if not was_writing or self._sync is None:
            return
        commit = self._sync.finish()
        owed = getattr(_deferred, "owed", None)
        if owed is None:
            self._sync.wait(commit)
        else:
            owed.append((self._sync, commit))


@contextmanager
def deferring() -> Iterator[Callable[[], None]]:
    """Within this block commits return before they are durable; call the yielded function after releasing the
    write turn (and before answering anyone) to wait until they are. Nested use is not supported."""
    owed: list[tuple[_WalSync, int]] = []
    _deferred.owed = owed

    def wait() -> None:
        for sync, commit in owed:
            sync.wait(commit)
        owed.clear()

    try:
        yield wait
    finally:
        _deferred.owed = None
