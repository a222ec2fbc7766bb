"""Receiving a submission costs the same statements however much the database holds: the same SQL when its commune
has 3 villages or 300, and every statement reads through an index (an index seek, never a scan of a table)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from sqlmodel import Session

from forms.build import BuiltForm, build_xlsform
from server.accounts.app_users import create_app_user
from server.cli.setup import BUILTIN_FORMS
from server.core.models import AppUser
from server.core.storage import BlobStore
from server.places import villages as registry
from server.publishing.forms import publish_xform
from server.submissions.receive import receive
from tests.instances import NOT_LISTED, fill
from tests.instances import SESSION_ANSWERS as SESSION
from tests.instances import SESSION_COMMUNE as COMMUNE


@cache
def built() -> BuiltForm:
    """The session questionnaire, built once per run."""
    return build_xlsform(BUILTIN_FORMS / "tgpl_session.xlsx")


@pytest.fixture
def app_user_id(engine: Engine, backan: Session, store: BlobStore, java: None) -> int:
    """The session form published and an app user allowed to send it; the user's id."""
    publish_xform(session=backan, store=store, xform=built().xform, media={})
    user, _ = create_app_user(session=backan, name="Phone")
    assert user.id is not None
    received(engine, store, user.id, {})  # a warm server: what it reads once per process is read
    return user.id


def grow_commune(session: Session, to: int) -> list[str]:
    """Villages added to the commune (in one transaction) until it holds `to`; the codes of all of them."""
    held = registry.list_villages(session, commune_code=COMMUNE)
    for n in range(len(held), to):
        registry.add_village(session=session, commune_code=COMMUNE, name=f"Thôn Số {n}", commit=False)
    session.commit()
    return [v.code for v in registry.list_villages(session, commune_code=COMMUNE)]


@contextmanager
def recorded(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """Every SQL statement sent to the database meanwhile, with its parameters."""
    statements: list[tuple[str, Any]] = []

    def record(_conn: object, _cursor: object, statement: str, parameters: Any, _context: object, _many: bool) -> None:
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def received(
    engine: Engine, store: BlobStore, user_id: int, values: dict[str, str], **ids: str
) -> list[tuple[str, Any]]:
    """The statements of receiving one session submission, in a session of its own as a request has."""
    xml = fill(built().xform, {**SESSION, **values}, **ids)
    with Session(engine) as session:
        user = session.get(AppUser, user_id)  # the request's authentication, before the receiving
        assert user is not None
        with recorded(engine) as statements:
            assert receive(session=session, store=store, app_user=user, xml=xml, parts={}).outcome != "duplicate"
    return statements


def texts(statements: list[tuple[str, Any]]) -> list[str]:
    """The statements without their parameters, one line each."""
    return [" ".join(statement.split()) for statement, _ in statements]


def full_scans(engine: Engine, statements: list[tuple[str, Any]]) -> list[str]:
    """The plan lines of the statements that read a whole table (or a whole index) instead of seeking in an index.

    PostgreSQL plans with sequential scans disabled: on these small tables it would rightly prefer them, but with
    them disabled it still chooses one only where no index can serve the statement."""
    found = []
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SET enable_seqscan = off"))
        for statement, parameters in statements:
            if statement.lstrip().split(None, 1)[0].upper() not in ("SELECT", "UPDATE", "DELETE"):
                continue
            if engine.dialect.name == "sqlite":
                plan = [row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
                found += [f"{line}: {statement}" for line in plan if line.startswith("SCAN")]
            else:
                plan = [row[0] for row in connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)]
                found += [f"{line.strip()}: {statement}" for line in plan if "Seq Scan" in line]
        connection.rollback()
    return found


def test_a_proposal_costs_the_same_statements_in_a_commune_of_3_or_300_villages(
    engine: Engine, backan: Session, store: BlobStore, app_user_id: int
) -> None:
    grow_commune(backan, 3)
    small = received(engine, store, app_user_id, NOT_LISTED)
    grow_commune(backan, 300)
    large = received(engine, store, app_user_id, NOT_LISTED)
    assert len(large) == len(small)
    assert texts(large) == texts(small)
    assert [s for s in texts(large) if " LIKE " in s.upper()] == []  # no read of all the commune's codes
    assert full_scans(engine, large) == []


def test_a_session_at_a_listed_village_costs_the_same_statements_in_a_commune_of_3_or_300(
    engine: Engine, backan: Session, store: BlobStore, app_user_id: int
) -> None:
    codes = grow_commune(backan, 3)
    small = received(engine, store, app_user_id, {"village": codes[0]})
    codes = grow_commune(backan, 300)
    large = received(engine, store, app_user_id, {"village": codes[-1]})
    assert len(large) == len(small)
    assert texts(large) == texts(small)
    assert full_scans(engine, large) == []


def test_an_edit_of_a_proposal_reads_through_indexes_only(
    engine: Engine, backan: Session, store: BlobStore, app_user_id: int
) -> None:
    grow_commune(backan, 300)
    first = f"uuid:{uuid.uuid4()}"
    received(engine, store, app_user_id, NOT_LISTED, instance_id=first)
    edit = received(engine, store, app_user_id, {**NOT_LISTED, "village_name": "Thôn Mới Trên"}, deprecated_id=first)
    assert full_scans(engine, edit) == []
