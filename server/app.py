"""The FastAPI application factory: builds everything from one Settings object."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from sqlalchemy import Engine
from starlette.middleware.sessions import SessionMiddleware

from server import error_handlers
from server.api.routes import router as api_router
from server.core.config import Settings
from server.core.db import make_engine, require_migrated
from server.core.storage import BlobStore
from server.openrosa.routes import router as openrosa_router
from server.web import (
    auth_pages,
    collaborators,
    dashboard,
    downloads,
    forms_page,
    map_page,
    page_scripts,
    submissions_page,
    villages_page,
)
from server.web.security import SESSION_COOKIE, SESSION_SECONDS, secret_key


def create_app(settings: Settings, *, engine: Engine | None = None) -> FastAPI:
    """The tgpl application; refuses to build on a database that is not migrated."""
    engine = engine or make_engine(settings.resolved_database_url)
    require_migrated(engine)
    app = FastAPI(title="tgpl", summary="Field data for mobile legal aid", docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json")  # fmt: skip
    app.state.settings = settings
    app.state.engine = engine
    app.state.store = BlobStore(settings.blob_dir)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key(settings),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_SECONDS,
        same_site="lax",
        https_only=(settings.public_url or "").startswith("https://"),
    )
    app.include_router(openrosa_router)
    app.include_router(api_router)
    for pages in (
        auth_pages,
        dashboard,
        map_page,
        page_scripts,
        villages_page,
        collaborators,
        forms_page,
        submissions_page,
        downloads,
    ):
        app.include_router(pages.router)
    error_handlers.install(app, settings)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The JSON API's schema without FastAPI's automatic 422: invalid requests get the declared 400 here."""
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                operation.get("responses", {}).pop("422", None)
        for unused in ("HTTPValidationError", "ValidationError"):
            schema.get("components", {}).get("schemas", {}).pop(unused, None)
        app.openapi_schema = schema
    return app.openapi_schema
