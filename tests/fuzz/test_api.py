"""schemathesis on the JSON API's own OpenAPI document, against a live server, with a coordinator's token.

schemathesis's pytest plugin (`@schema.parametrize()`) does not run under pytest 9 (it sets `Function._nodeid`, which
pytest 9 no longer has), so each operation's strategy is drawn with Hypothesis directly: the same cases and checks."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import given
from sqlmodel import Session

from server.accounts.web_users import create_web_user, new_api_token
from server.places import villages as registry
from tests.conftest import Live
from tests.fuzz.budget import bounded

OPERATIONS = ["GET /api/coverage", "GET /api/villages", "GET /api/submissions"]


@pytest.fixture
def api_token(live: Live, backan: Session) -> str:
    """A whole-province coordinator's API token, on a server with Bắc Kạn loaded and a village proposed."""
    registry.add_village(session=backan, commune_code="01864", name="Thôn Nà Pài", lat=22.35, lon=105.95)
    create_web_user(session=backan, username="coord", password="mật-khẩu-đủ-dài-1", role="coordinator")
    return new_api_token(session=backan, username="coord")


def test_the_schema_lists_every_api_operation(live: Live) -> None:
    schema = schemathesis.openapi.from_url(f"{live.base}/api/openapi.json")
    assert sorted(result.ok().label for result in schema.get_all_operations()) == sorted(OPERATIONS)


@pytest.mark.parametrize("label", OPERATIONS)
def test_api_answers_as_its_schema_says(live: Live, api_token: str, label: str) -> None:
    schema = schemathesis.openapi.from_url(f"{live.base}/api/openapi.json")
    operation = schema[label.split()[1]][label.split()[0]]
    headers = {"Authorization": f"Bearer {api_token}"}

    @given(case=operation.as_strategy())
    @bounded(25)
    def call(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers)

    call()
