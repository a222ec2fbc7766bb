"""Shared fixtures: a fresh database per test (SQLite, and PostgreSQL when TGPL_TEST_DATABASE_URL is set),
settings in a temp data dir, and a live uvicorn server on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from forms.build import BuiltForm, build_xlsform, java_available
from server.accounts.app_users import create_app_user
from server.app import create_app
from server.core.config import Settings
from server.core.db import make_engine, migrate
from server.core.storage import BlobStore
from server.places.load import load_gazetteer
from server.publishing.forms import publish_xform
from tests.collect_client import CollectClient
from tests.databases import postgres_schema
from tests.live_server import serve_in_thread

PG_URL = os.environ.get("TGPL_TEST_DATABASE_URL")
REQUIRE_ALL = os.environ.get("TGPL_REQUIRE_ALL") == "1"
DATABASES = [
    "sqlite",
    pytest.param(
        "postgres",
        marks=[pytest.mark.postgres, pytest.mark.skipif(not PG_URL, reason="no TGPL_TEST_DATABASE_URL")],
    ),
]


def need(available: bool, reason: str) -> None:
    """Skip when a tool is missing, or fail instead when TGPL_REQUIRE_ALL=1 (as in CI)."""
    if available:
        return
    if REQUIRE_ALL:
        pytest.fail(f"{reason} (TGPL_REQUIRE_ALL=1 forbids skipping)")
    pytest.skip(reason)


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database of its own: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tgpl.sqlite3'}"
        return
    assert PG_URL
    with postgres_schema(PG_URL, "tgpl_test") as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings for one test: its own data dir and database."""
    return Settings(data_dir=tmp_path / "var", database_url=database_url, max_submission_bytes=5_000_000)


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    """A migrated engine on the test database."""
    engine = make_engine(settings.resolved_database_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the migrated test database."""
    with Session(engine) as session:
        yield session


@pytest.fixture
def store(settings: Settings) -> BlobStore:
    """The test's blob store."""
    return BlobStore(settings.blob_dir)


# A small form that exercises what the protocol must carry: a repeat with photos, a media CSV, a geopoint.
DEMO_FORM = """
| survey |
| | type | name | label | required | constraint | parameters |
| | date | visit_date | Ngày | yes | . <= today() | |
| | select_one_from_file places.csv | place | Nơi | yes | | |
| | integer | total | Tổng số | | . >= 0 | |
| | image | photo | Ảnh | | | max-pixels=640 |
| | begin_repeat | people | Người | | | |
| | text | name | Tên | | | |
| | image | id_photo | Ảnh giấy tờ | | | max-pixels=640 |
| | end_repeat | | | | | |
| | geopoint | point | Vị trí | | | |
| settings |
| | form_id | version | form_title |
| | demo | {version} | Biểu mẫu thử {version} |
"""
DEMO_MEDIA = {"places.csv": "name,label\nna_pai,Nà Pài\nna_ri,Na Rì\n".encode()}


def simple_form(form_id: str, version: str, title: str | None = None) -> BuiltForm:
    """A one-question form with no media."""
    settings = f"| | form_id | version | form_title |\n| | {form_id} | {version} | {title or form_id} |\n"
    survey = "| survey |\n| | type | name | label |\n| | text | q | Q |\n"
    return build_xlsform(f"{survey}| settings |\n{settings}", file_type=".md")


@cache
def built_demo(version: str = "1") -> BuiltForm:
    """The demo form built (and validated when Java exists) once per test run and version."""
    return build_xlsform(DEMO_FORM.format(version=version), file_type=".md")


@dataclass
class Live:
    """A running server and what the tests need to reach it."""

    base: str
    settings: Settings
    engine: Engine
    store: BlobStore

    def key_url(self, token: str) -> str:
        """The OpenRosa base URL for an app user's token."""
        return f"{self.base}/key/{token}"


@pytest.fixture
def live(settings: Settings, engine: Engine) -> Iterator[Live]:
    """A real uvicorn server for create_app(settings) on a free port of 127.0.0.1."""
    with serve_in_thread(create_app(settings, engine=engine)) as base:
        yield Live(base, settings, engine, BlobStore(settings.blob_dir))


@dataclass
class Phone:
    """An app user set up on the live server with the demo form published."""

    live: Live
    token: str
    url: str
    app_user_id: int


@pytest.fixture
def phone(live: Live, session: Session) -> Phone:
    """The demo form (version 1) published, and an app user allowed to use every form."""
    built = built_demo("1")
    publish_xform(session=session, store=live.store, xform=built.xform, media=DEMO_MEDIA)
    user, token = create_app_user(session=session, name="Cộng tác viên thử")
    return Phone(live, token, live.key_url(token), user.id)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def java() -> None:
    """Java for ODK Validate."""
    need(java_available(), "Java is not installed (apt-get install -y openjdk-17-jre-headless)")


@pytest.fixture(scope="session")
def node() -> str:
    """The node binary for the ODK Web Forms engine."""
    path = shutil.which("node")
    need(path is not None, "Node.js is not installed")
    return path or ""


@pytest.fixture
def collect() -> Iterator[Callable[[str], CollectClient]]:
    """Make Collect-like clients for server URLs; their connections are closed after the test."""
    clients: list[CollectClient] = []

    def make(server_url: str) -> CollectClient:
        client = CollectClient(server_url)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.http.close()


@pytest.fixture
def backan(session: Session) -> Session:
    """The test session, with Bắc Kạn (old 06) and the 37 new communes that cover it loaded."""
    load_gazetteer(session=session, provinces=["06"], progress=lambda _line: None)
    return session


# A form whose place pickers are generated from the gazetteer (no media supplied when publishing).
PLACES_FORM = """
| survey |
| | type | name | label | choice_filter | relevant | required |
| | select_one_from_file communes.csv | commune | Xã | | | yes |
| | select_one_from_file villages.csv | village | Thôn | commune=${commune} | | yes |
| | text | village_name | Tên thôn | | ${village} = 'khac' | yes |
| | geopoint | village_point | Vị trí thôn | | ${village} = 'khac' | yes |
| settings |
| | form_id | version |
| | places_demo | 1 |
"""


@pytest.fixture
def env(tmp_path: Path, database_url: str) -> dict[str, str]:
    """The environment of an administrator's shell for one data dir and database."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("TGPL_")}
    return {**base, "TGPL_DATA_DIR": str(tmp_path / "var"), "TGPL_DATABASE_URL": database_url}


from tests.browser import browser, offline  # noqa: E402,F401 - browser fixtures for every test package
