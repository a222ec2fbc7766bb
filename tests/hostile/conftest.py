"""One live server per test module and database for the hostile corpus (SQLite, and PostgreSQL when
TGPL_TEST_DATABASE_URL is set), built from the same parts as tests/conftest.py.

A server is shared by a module's cases on purpose: every case compares the rows and blob files before and after
itself, and each one also proves the server still answers after everything sent before it. Starting a server,
migrating and publishing for each of ~200 cases would take minutes on two cores."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from functools import cache

import pytest
from sqlmodel import Session

from server.accounts.app_users import create_app_user, revoke
from server.accounts.web_users import create_web_user
from server.app import create_app
from server.core.config import Settings
from server.core.db import make_engine, migrate
from server.core.storage import BlobStore
from server.places.load import load_gazetteer
from server.publishing.forms import publish_xform, set_state
from tests.collect_client import CollectClient
from tests.conftest import DATABASES, DEMO_MEDIA, PG_URL, Live, Phone, built_demo, simple_form
from tests.databases import postgres_schema
from tests.hostile.world import Site, World
from tests.live_server import serve_in_thread
from tests.server.web.conftest import PASSWORD


@cache
def other_form(form_id: str) -> bytes:
    """A one-question form, built (and validated) once per run."""
    return simple_form(form_id, "1").xform


@pytest.fixture(scope="module", params=DATABASES)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A live server with the demo form and an allowed phone, a closed form, a form given only to a limited
    phone, and a revoked phone."""
    tmp = tmp_path_factory.mktemp("hostile")
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp / 'tgpl.sqlite3'}"
        else:
            assert PG_URL
            url = stack.enter_context(postgres_schema(PG_URL, "tgpl_hostile"))
        settings = Settings(data_dir=tmp / "var", database_url=url, max_submission_bytes=5_000_000)
        engine = make_engine(settings.resolved_database_url)
        stack.callback(engine.dispose)
        migrate(engine)
        store = BlobStore(settings.blob_dir)
        with Session(engine) as session:
            publish_xform(session=session, store=store, xform=built_demo("1").xform, media=DEMO_MEDIA)
            for form_id in ("closed_form", "other"):
                publish_xform(session=session, store=store, xform=other_form(form_id), media={})
            set_state(session=session, xml_form_id="closed_form", state="closed")
            user, token = create_app_user(session=session, name="Cộng tác viên thử")
            user_id = user.id
            _, limited = create_app_user(session=session, name="Chỉ biểu mẫu khác", form_ids=["other"])
            gone, revoked = create_app_user(session=session, name="Máy đã thu hồi")
            revoke(session=session, app_user_id=gone.id)  # type: ignore[arg-type]
        base = stack.enter_context(serve_in_thread(create_app(settings, engine=engine)))
        live = Live(base, settings, engine, store)
        phone = Phone(live, token, live.key_url(token), user_id)  # type: ignore[arg-type]
        client = CollectClient(phone.url)
        stack.callback(client.http.close)
        yield World(phone, client, limited, revoked)


@pytest.fixture(scope="module")
def site(world: World) -> Iterator[Site]:
    """The same server with Bắc Kạn loaded, an admin and a coordinator, and a signed-in admin browser."""
    with Session(world.phone.live.engine) as session:
        load_gazetteer(session=session, provinces=["06"], progress=lambda _line: None)
        for username, role in (("admin", "admin"), ("coord", "coordinator")):
            create_web_user(session=session, username=username, password=PASSWORD, role=role)
    result = Site(world, [])
    yield result
    for browser in result.browsers:
        browser.http.close()
