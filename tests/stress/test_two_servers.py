"""Two `tgpl serve` processes on one PostgreSQL schema and one data directory, as behind a load balancer: phones send
every submission to both at the same moment (split uploads and edits too). Each is stored once, with every
attachment byte for byte, and no request fails."""

from __future__ import annotations

import hashlib
import os
import re
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session

from forms.build import BuiltForm, build_xlsform
from server.accounts.app_users import create_app_user
from server.cli.setup import BUILTIN_FORMS
from server.core.config import Settings
from server.core.db import make_engine
from server.core.storage import BlobStore
from server.publishing.forms import publish_xform
from tests.cli_runner import tgpl_json
from tests.collect_client import Attachment, CollectClient, instance_xml
from tests.conftest import DEMO_MEDIA, PG_URL, built_demo, need
from tests.databases import postgres_schema
from tests.instances import fill
from tests.tgpl_server import free_port, tgpl_serve

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
INSTANCES, PHONES, EDITS = 100, 4, 30
LIMIT = 150_000  # bytes per POST: the demo instances (three 60 kB photos) arrive in two POSTs, as Collect splits them


@cache
def session_form() -> BuiltForm:
    return build_xlsform(BUILTIN_FORMS / "tgpl_session.xlsx")


@dataclass(frozen=True)
class Job:
    """One instance as a phone sends it: its XML and files; an edit names the instance it replaces."""

    n: int
    instance_id: str
    xml: bytes
    files: tuple[Attachment, ...]
    replaces: str | None = None


def photo(name: str, seed: str) -> Attachment:
    """A 60 kB file whose bytes depend on seed."""
    return Attachment(name, b"\xff\xd8\xff" + hashlib.sha256(seed.encode()).digest() * 1900)


def job(n: int, *, replaces: str | None = None) -> Job:
    """Instance n: the demo form (three photos, a split upload) when n is even, a legal-aid session (one photo, facts)
    when odd; an edit (replaces=its instanceID) changes a count and resends the same files."""
    instance_id, total = f"uuid:{uuid.uuid4()}", n + (1000 if replaces else 0)
    if n % 2 == 0:
        files = (photo(f"p{n}.jpg", f"p{n}"), photo(f"a{n}.jpg", f"a{n}"), photo(f"b{n}.jpg", f"b{n}"))
        xml = instance_xml(instance_id=instance_id, deprecated_id=replaces, total=total, photo=files[0].name,
                           people=[("Hoa", files[1].name), ("Lan", files[2].name)])  # fmt: skip
    else:
        files = (photo(f"s{n}.jpg", f"s{n}"),)
        values = {"session_date": "2026-11-20", "commune": "01864", "participants_total": str(total),
                  "attendance_photo": files[0].name}  # fmt: skip
        xml = fill(session_form().xform, values, instance_id=instance_id, deprecated_id=replaces)
    return Job(n, instance_id, xml, files, replaces)


@dataclass
class Cluster:
    """Two servers on one database and one data directory, and a phone token for each of PHONES phones."""

    settings: Settings
    env: dict[str, str]
    ports: tuple[int, int]
    logs: tuple[Path, Path]
    tokens: list[str]

    def send_to_both(self, jobs: list[Job]) -> dict[tuple[str, int], list[int]]:
        """Each phone sends its share of jobs, in order, to both servers, each instance to both at the same moment;
        the statuses of every (instanceID, port)."""
        statuses: dict[tuple[str, int], list[int]] = {}
        errors: list[BaseException] = []
        lock = threading.Lock()

        def phone(token: str, port: int, share: list[Job], together: threading.Barrier) -> None:
            client = CollectClient(f"http://127.0.0.1:{port}/key/{token}")
            try:
                for item in share:
                    together.wait(timeout=120)  # the same instance leaves for both servers at the same moment
                    result = [r.status_code for r in client.send(item.xml, list(item.files))]
                    with lock:
                        statuses[(item.instance_id, port)] = result
            except BaseException as error:
                together.abort()
                with lock:
                    errors.append(error)
            finally:
                client.http.close()

        threads = []
        for p, token in enumerate(self.tokens):
            share, together = [j for j in jobs if j.n % PHONES == p], threading.Barrier(2)
            threads += [threading.Thread(target=phone, args=(token, port, share, together)) for port in self.ports]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        return statuses

    def check_logs(self) -> None:
        """Neither server failed on any request, and both took their share."""
        for log in self.logs:
            text_ = log.read_text()
            assert "Traceback" not in text_
            assert re.search(r'HTTP/1\.1" 5\d\d', text_) is None
            assert '"POST /key/…/submission?deviceID=' in text_


@pytest.fixture
def cluster(tmp_path: Path, java: None) -> Iterator[Cluster]:
    """One fresh PostgreSQL schema and one data directory, migrated once by `tgpl init` before either server starts,
    the demo form (three photos) published, PHONES app users; then two `tgpl serve` processes."""
    need(PG_URL is not None, "two servers share a PostgreSQL database (set TGPL_TEST_DATABASE_URL)")
    assert PG_URL
    with postgres_schema(PG_URL, "tgpl_two") as url:
        base = {k: v for k, v in os.environ.items() if not k.startswith("TGPL_")}
        env = {**base, "TGPL_DATA_DIR": str(tmp_path / "var"), "TGPL_DATABASE_URL": url,
               "TGPL_MAX_SUBMISSION_BYTES": str(LIMIT)}  # fmt: skip
        assert tgpl_json(env, "init")["forms"]
        settings = Settings(data_dir=tmp_path / "var", database_url=url)
        engine = make_engine(settings.resolved_database_url)
        with Session(engine) as session:
            publish_xform(session=session, store=BlobStore(settings.blob_dir), xform=built_demo("1").xform,
                          media=DEMO_MEDIA)  # fmt: skip
            tokens = [create_app_user(session=session, name=f"Máy {p}")[1] for p in range(PHONES)]
        engine.dispose()
        ports, logs = (free_port(), free_port()), (tmp_path / "a.log", tmp_path / "b.log")
        with tgpl_serve(env, ports[0], logs[0]), tgpl_serve(env, ports[1], logs[1]):
            yield Cluster(settings, env, ports, logs, tokens)


def refused(cluster: Cluster, statuses: dict[tuple[str, int], list[int]], jobs: list[Job]) -> dict[str, list[int]]:
    """The requests that did not all get 201, by instance number, edit or not, and server."""
    return {f"{j.n}{'-edit' if j.replaces else ''}@{port}": statuses[(j.instance_id, port)] for j in jobs
            for port in cluster.ports if set(statuses[(j.instance_id, port)]) != {201}}  # fmt: skip


def check_stored(cluster: Cluster, originals: list[Job], edits: list[Job]) -> None:
    """Each instance and each edit stored once, the latest current, every file byte for byte, one fact per session."""
    store, sent = BlobStore(cluster.settings.blob_dir), originals + edits
    current = {j.n: j for j in originals} | {j.n: j for j in edits}
    stored = read_back(cluster.settings)
    assert sorted(stored.submissions) == sorted(j.instance_id for j in originals)  # each instance once
    assert stored.versions == {j.instance_id: hashlib.sha256(j.xml).hexdigest() for j in sent}  # each edit once
    assert stored.current == {j.instance_id: current[j.n].instance_id for j in originals}
    for item in sent:  # every version has every attachment it names, byte for byte
        assert stored.attachments[item.instance_id] == {f.name: hashlib.sha256(f.data).hexdigest() for f in item.files}
    assert stored.attachment_rows == sum(len(j.files) for j in sent)  # no doubled rows
    for sha in {*stored.versions.values(), *(s for a in stored.attachments.values() for s in a.values() if s)}:
        assert hashlib.sha256(store.read(sha)).hexdigest() == sha
    assert list(cluster.settings.blob_dir.glob(".incoming-*")) == []  # no temp file left behind
    assert stored.session_facts == {current[j.n].instance_id for j in originals if j.n % 2}  # from current versions
    assert tgpl_json(cluster.env, "submissions", "count")["count"] == len(originals)


def test_two_servers_store_each_submission_once(cluster: Cluster) -> None:
    originals = [job(n) for n in range(INSTANCES)]
    statuses = cluster.send_to_both(originals)
    assert {len(s) for s in statuses.values()} == {1, 2}  # one POST for a session, two for a demo instance (split)
    assert refused(cluster, statuses, originals) == {}  # identical XML is a success, whichever server stored it first
    cluster.check_logs()
    check_stored(cluster, originals, [])


def test_two_servers_take_the_same_edit_at_once(cluster: Cluster) -> None:
    originals = [job(n) for n in range(EDITS)]
    edits = [job(n, replaces=originals[n].instance_id) for n in range(EDITS)]
    assert refused(cluster, cluster.send_to_both(originals), originals) == {}
    assert refused(cluster, cluster.send_to_both(edits), edits) == {}  # the same edit twice is a resend: 201
    cluster.check_logs()
    check_stored(cluster, originals, edits)


@dataclass
class Stored:
    """What the database holds, read with plain SQL."""

    submissions: list[str]  # instanceID of each submission row
    versions: dict[str, str]  # instanceID of each version → sha256 of its XML
    current: dict[str, str]  # first instanceID → instanceID of the current version
    attachments: dict[str, dict[str, str | None]]  # instanceID of a version → attachment name → sha256
    attachment_rows: int
    session_facts: set[str]  # instanceID of the version each session fact was made from


CURRENT = "SELECT s.instance_id, d.instance_id FROM submission s JOIN submission_def d ON d.submission_id = s.id"
CURRENT += " WHERE d.current"
ATTACHMENTS = "SELECT d.instance_id, a.name, a.sha256 FROM submission_attachment a"
ATTACHMENTS += " JOIN submission_def d ON d.id = a.submission_def_id"
FACTS = "SELECT d.instance_id FROM session_fact f JOIN submission_def d ON d.id = f.submission_def_id"


def read_back(settings: Settings) -> Stored:
    """Every submission, version, attachment and session fact row of the shared database."""
    engine = create_engine(settings.resolved_database_url)
    try:
        with engine.connect() as db:
            submissions = [r[0] for r in db.execute(text("SELECT instance_id FROM submission"))]
            versions = db.execute(text("SELECT instance_id, xml_sha256 FROM submission_def")).all()
            current = db.execute(text(CURRENT)).all()
            files = db.execute(text(ATTACHMENTS)).all()
            facts = [r[0] for r in db.execute(text(FACTS))]
    finally:
        engine.dispose()
    attachments: dict[str, dict[str, str | None]] = {}
    for instance_id, name, sha in files:
        attachments.setdefault(instance_id, {})[name] = sha
    assert len(versions) == len({r[0] for r in versions})
    assert len(current) == len({r[0] for r in current})  # one current version per submission
    assert len(facts) == len(set(facts))
    return Stored(submissions, dict(versions), dict(current), attachments, len(files), set(facts))  # type: ignore[arg-type]
