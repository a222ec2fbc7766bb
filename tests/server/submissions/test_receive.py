"""The receiving service on its own (the protocol tests drive it through HTTP)."""

from __future__ import annotations

import uuid
from pathlib import Path

from pyxform.xls2xform import convert
from sqlmodel import Session, select

from server.accounts.app_users import create_app_user
from server.core.db import make_engine, migrate
from server.core.models import FormVersion
from server.core.storage import BlobStore
from server.publishing.forms import publish_xform
from server.submissions.receive import receive
from tests.conftest import simple_form

REGISTRATION = """
| survey |
| | type | name | label |
| | text | q | Q |
| settings |
| | form_id | version | name |
| | registration_form | 1 | registration |
"""


def test_each_database_checks_the_root_of_its_own_form(session: Session, store: BlobStore, tmp_path: Path) -> None:
    """Two databases in one process, each with its first form version (row id 1 in both) but other root elements:
    the root an instance must have comes from that version's XForm, not from another database's row 1."""
    first = simple_form("first_form", "1")
    publish_xform(session=session, store=store, xform=first.xform, media={})
    phone, _ = create_app_user(session=session, name="A")
    xml = f'<data id="first_form" version="1"><q>x</q><meta><instanceID>uuid:{uuid.uuid4()}</instanceID></meta></data>'
    assert receive(session=session, store=store, app_user=phone, xml=xml.encode(), parts={}).outcome == "created"

    other = make_engine(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    migrate(other)
    other_store = BlobStore(tmp_path / "other-blobs")
    with Session(other) as second:
        xform = convert(xlsform=REGISTRATION, file_type=".md").xform.encode()
        publish_xform(session=second, store=other_store, xform=xform, media={})
        assert second.exec(select(FormVersion.id)).all() == session.exec(select(FormVersion.id)).all() == [1]
        phone, _ = create_app_user(session=second, name="B")
        xml = (f'<registration id="registration_form" version="1"><q>y</q><meta><instanceID>uuid:{uuid.uuid4()}'
               "</instanceID></meta></registration>")  # fmt: skip
        received = receive(session=second, store=other_store, app_user=phone, xml=xml.encode(), parts={})
        assert received.outcome == "created"
    other.dispose()
