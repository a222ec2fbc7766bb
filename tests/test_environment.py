"""When CI demands every real counterpart (TGPL_REQUIRE_ALL=1), check that each one is really there."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from forms.build import java_available
from tests.conftest import PG_URL, REQUIRE_ALL

pytestmark = pytest.mark.skipif(not REQUIRE_ALL, reason="only checked when TGPL_REQUIRE_ALL=1")


def test_postgresql_is_configured() -> None:
    assert PG_URL, "TGPL_TEST_DATABASE_URL must point at PostgreSQL"


def test_java_for_odk_validate() -> None:
    assert java_available()


def test_node_and_the_web_forms_engine() -> None:
    assert shutil.which("node")
    engine = Path(__file__).parent / "webforms" / "node_modules" / "@getodk" / "xforms-engine"
    assert engine.is_dir(), "run `npm ci` in tests/webforms"


def test_chromium_and_playwright_for_the_browser_tests() -> None:
    import importlib.util

    assert Path("/usr/bin/chromium").exists()
    assert importlib.util.find_spec("playwright") is not None
