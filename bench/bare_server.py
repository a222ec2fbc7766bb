"""The limit for bench/ingest.py: a bare Starlette app that does only what a 201 must cost.

It parses the same multipart body with the same parser, writes every part to the same content-addressed blob store
(temp file, fsync, rename, fsync of the directories) and commits one row per submission with the same durability
(SQLite in WAL mode with synchronous=FULL, or PostgreSQL), off the event loop as tgpl does, then answers 201 with an
OpenRosa body. No authentication, no XML parsing, no form lookup, no facts: whatever tgpl costs beyond this is
tgpl's own.

Run: python bench/bare_server.py --port P --data-dir DIR [--database-url postgresql://...] [--workers N]
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import os
import sqlite3
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.core.storage import BlobStore

OK = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<OpenRosaResponse xmlns="http://openrosa.org/http/response">'
    b'<message nature="submit_success">ok</message></OpenRosaResponse>'
)
HEADERS = {"X-OpenRosa-Version": "1.0", "X-OpenRosa-Accept-Content-Length": "10000000"}


def sqlite_writer(path: Path) -> Callable[[str, int], None]:
    """One connection per thread, WAL and synchronous=FULL, one committed row per call; writers take turns on a
    lock and a lock file, as tgpl's do (server.core.db.writer_turn), rather than sleep-polling on SQLite's lock."""
    local = threading.local()
    turn = threading.Lock()
    lock_file = os.open(f"{path}.writer-lock", os.O_RDWR | os.O_CREAT, 0o600)
    with turn:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        with sqlite3.connect(path) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS submission (id INTEGER PRIMARY KEY, sha256 TEXT UNIQUE, size INT)")
        fcntl.flock(lock_file, fcntl.LOCK_UN)

    def write(sha256: str, size: int) -> None:
        if not hasattr(local, "db"):
            local.db = sqlite3.connect(path, timeout=30, isolation_level=None)
            local.db.execute("PRAGMA synchronous=FULL")
        with turn:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                local.db.execute("BEGIN IMMEDIATE")
                local.db.execute("INSERT OR IGNORE INTO submission (sha256, size) VALUES (?, ?)", (sha256, size))
                local.db.execute("COMMIT")
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)

    return write


def postgres_writer(url: str) -> Callable[[str, int], None]:
    """One connection per thread, one committed row per call (PostgreSQL's default durability: fsync on commit)."""
    import psycopg

    local = threading.local()
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("CREATE TABLE IF NOT EXISTS bare_submission (id serial PRIMARY KEY, sha256 text UNIQUE, size int)")

    def write(sha256: str, size: int) -> None:
        if not hasattr(local, "db"):
            local.db = psycopg.connect(url)
        with local.db.transaction():
            local.db.execute(
                "INSERT INTO bare_submission (sha256, size) VALUES (%s, %s) ON CONFLICT DO NOTHING", (sha256, size)
            )

    return write


def create_bare_app(store: BlobStore, write_row: Callable[[str, int], None]) -> Starlette:
    """HEAD answers 204; POST parses, stores blobs and one row, and answers 201 once both are durable."""

    async def head(_request: Request) -> Response:
        return Response(status_code=204, headers=HEADERS)

    async def submit(request: Request) -> Response:
        form = await request.form(max_files=128, max_fields=128)
        try:
            parts = [value for _name, value in form.multi_items() if isinstance(value, UploadFile)]

            def durable() -> None:
                refs = [store.put_stream(part.file) for part in parts]
                xml = hashlib.sha256("".join(ref.sha256 for ref in refs).encode()).hexdigest()
                write_row(xml, sum(ref.size for ref in refs))

            await run_in_threadpool(durable)
        finally:
            await form.close()
        return Response(OK, status_code=201, media_type="text/xml; charset=utf-8", headers=HEADERS)

    routes: list[Any] = [
        Route("/submission", head, methods=["HEAD", "GET"]),
        Route("/submission", submit, methods=["POST"]),
    ]
    return Starlette(routes=routes)


def app_from_environment() -> Starlette:
    """The app of one server process, configured by BARE_DATA_DIR and BARE_DATABASE_URL (for uvicorn workers)."""
    data_dir = Path(os.environ["BARE_DATA_DIR"])
    data_dir.mkdir(parents=True, exist_ok=True)
    url = os.environ.get("BARE_DATABASE_URL")
    writer = postgres_writer(url) if url else sqlite_writer(data_dir / "bare.sqlite")
    return create_bare_app(BlobStore(data_dir / "blobs"), writer)


def main() -> None:
    """Serve the bare app on 127.0.0.1 with uvicorn, configured as `tgpl serve` configures it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default: SQLite in the data dir)")
    parser.add_argument("--workers", type=int, default=1, help="server processes (as tgpl serve --workers)")
    args = parser.parse_args()
    os.environ["BARE_DATA_DIR"] = str(args.data_dir)
    if args.database_url:
        os.environ["BARE_DATABASE_URL"] = args.database_url
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    uvicorn.run("bare_server:app_from_environment", factory=True, host="127.0.0.1", port=args.port,
                workers=args.workers, log_level="info")  # fmt: skip


if __name__ == "__main__":
    main()
