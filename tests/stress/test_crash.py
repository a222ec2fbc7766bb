"""Crash safety: the real server is killed with SIGKILL while phones are sending; after a restart, every submission
that was answered 201 is there with byte-identical XML and attachments, resends fill the rest, nothing is doubled."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import threading
import uuid
from functools import cache
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from forms.build import BuiltForm, build_xlsform
from server.cli.setup import BUILTIN_FORMS
from server.core.config import Settings
from tests.cli_runner import tgpl_json
from tests.collect_client import Attachment, CollectClient
from tests.instances import fill
from tests.tgpl_server import free_port, tgpl_serve

pytestmark = pytest.mark.slow
SUBMISSIONS, PHONES, KILL_AFTER = 150, 6, 50


@cache
def session_form() -> BuiltForm:
    return build_xlsform(BUILTIN_FORMS / "tgpl_session.xlsx")


def test_nothing_acknowledged_is_lost_and_nothing_is_doubled(env: dict[str, str], java: None, tmp_path: Path) -> None:
    port = free_port()
    env = {**env, "TGPL_PUBLIC_URL": f"http://127.0.0.1:{port}", "TGPL_HOST": "127.0.0.1", "TGPL_PORT": str(port)}
    url = tgpl_json(env, "init")["app_user"]["url"]
    jobs = []
    for n in range(SUBMISSIONS):
        photo = Attachment(f"{n}.jpg", b"\xff\xd8\xff" + hashlib.sha256(str(n).encode()).digest() * 600)
        values = {"session_date": "2026-11-20", "commune": "01864", "participants_total": str(n),
                  "attendance_photo": photo.name}  # fmt: skip
        xml = fill(session_form().xform, values, instance_id=f"uuid:{uuid.uuid4()}")
        jobs.append((xml, photo))
    acked: set[int] = set()
    lock = threading.Lock()
    killed = threading.Event()

    def phone(share: list[int], process: subprocess.Popen[bytes]) -> None:
        client = CollectClient(url)
        try:
            for n in share:
                xml, photo = jobs[n]
                try:
                    statuses = [r.status_code for r in client.send(xml, [photo])]
                except httpx.TransportError:
                    continue  # the server is gone: Collect marks it failed, to be sent again
                if statuses == [201]:
                    with lock:
                        acked.add(n)
                        if len(acked) >= KILL_AFTER and not killed.is_set():
                            killed.set()
                            os.kill(process.pid, signal.SIGKILL)  # mid-stream: other phones are uploading
        finally:
            client.http.close()

    with tgpl_serve(env, port, tmp_path / "serve.log") as process:
        threads = [threading.Thread(target=phone, args=(list(range(i, SUBMISSIONS, PHONES)), process))
                   for i in range(PHONES)]  # fmt: skip
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert killed.is_set()
    assert KILL_AFTER <= len(acked) < SUBMISSIONS  # some were cut off by the kill

    settings = Settings(data_dir=Path(env["TGPL_DATA_DIR"]), database_url=env["TGPL_DATABASE_URL"])
    before_resend = stored(settings)
    for n in acked:  # a 201 is a promise: bytes on disk, row committed
        xml, photo = jobs[n]
        assert before_resend[_instance_id(xml)] == (
            hashlib.sha256(xml).hexdigest(),
            hashlib.sha256(photo.data).hexdigest(),
        )

    with tgpl_serve(env, port, tmp_path / "serve.log"):
        client = CollectClient(url)
        try:
            for n in range(SUBMISSIONS):  # Collect resends what it has no 201 for; resending the rest is harmless too
                xml, photo = jobs[n]
                assert [r.status_code for r in client.send(xml, [photo])] == [201]
        finally:
            client.http.close()
    after = stored(settings)
    assert len(after) == SUBMISSIONS  # nothing doubled, nothing missing
    for xml, photo in jobs:
        assert after[_instance_id(xml)] == (hashlib.sha256(xml).hexdigest(), hashlib.sha256(photo.data).hexdigest())
    blobs = settings.blob_dir
    for xml_sha, photo_sha in after.values():
        for sha in (xml_sha, photo_sha):
            assert hashlib.sha256((blobs / sha[:2] / sha[2:4] / sha).read_bytes()).hexdigest() == sha
    if settings.resolved_database_url.startswith("sqlite"):
        with sqlite3.connect(settings.resolved_database_url.removeprefix("sqlite:///")) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def _instance_id(xml: bytes) -> str:
    return xml.split(b"<instanceID>")[1].split(b"</instanceID>")[0].decode()


def stored(settings: Settings) -> dict[str, tuple[str, str | None]]:
    """instanceID → (sha256 of the stored XML, sha256 of its attachment), read straight from the database."""
    engine = create_engine(settings.resolved_database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT d.instance_id, d.xml_sha256, a.sha256 FROM submission_def d "
                "LEFT JOIN submission_attachment a ON a.submission_def_id = d.id WHERE d.current"
            )).all()  # fmt: skip
    finally:
        engine.dispose()
    assert len({r[0] for r in rows}) == len(rows)  # one row (and one attachment) per submission
    return {r[0]: (r[1], r[2]) for r in rows}
