"""A database with the Bắc Kạn scope loaded."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from server.gazetteer.load import load_gazetteer


@pytest.fixture
def backan(session: Session) -> Session:
    """The test session, with Bắc Kạn (old 06) and the 37 new communes that cover it loaded."""
    load_gazetteer(session=session, provinces=["06"], progress=lambda _line: None)
    return session
