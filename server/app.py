"""The FastAPI application factory: builds everything from one Settings object."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from starlette.exceptions import HTTPException

from server.config import Settings
from server.db import make_engine, require_migrated
from server.errors import BadRequest, MethodNotAllowed, NotFound, TgplError
from server.logs import mask_tokens
from server.openrosa.responses import message_xml, xml_response
from server.openrosa.routes import router as openrosa_router
from server.storage import BlobStore

log = logging.getLogger(__name__)


def create_app(settings: Settings, *, engine: Engine | None = None) -> FastAPI:
    """The tgpl application; refuses to build on a database that is not migrated."""
    engine = engine or make_engine(settings.resolved_database_url)
    require_migrated(engine)
    app = FastAPI(title="tgpl", summary="Field data for mobile legal aid", docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.engine = engine
    app.state.store = BlobStore(settings.blob_dir)
    app.include_router(openrosa_router)

    def render(request: Request, error: TgplError) -> Response:
        if request.url.path.startswith("/key/"):
            body = message_xml(error.message, nature="error") if request.method != "HEAD" else ""
            return xml_response(body, status=error.status, max_bytes=settings.max_submission_bytes)
        return JSONResponse(
            {"code": error.code, "message": error.message, "vi": error.vi, "en": error.en},
            status_code=error.status,
        )

    @app.exception_handler(TgplError)
    async def tgpl_error(request: Request, error: TgplError) -> Response:
        return render(request, error)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        if error.status_code == 404:
            return render(request, NotFound("Không có trang này.", "Not found."))
        if error.status_code == 405:
            return render(
                request,
                MethodNotAllowed("Phương thức không được hỗ trợ.", f"Method {request.method} not allowed."),
            )
        generic = TgplError("Yêu cầu không được chấp nhận.", str(error.detail))
        generic.status, generic.code = error.status_code, f"{error.status_code}.1"
        return render(request, generic)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        # Whatever went wrong, a phone gets an OpenRosaResponse it can show, and nothing was half-stored:
        # services commit last, and blobs without rows are harmless.
        log.exception("unexpected error on %s %s", request.method, mask_tokens(request.url.path))
        return render(
            request,
            TgplError(
                "Máy chủ gặp lỗi, phiếu chưa được lưu. Hãy gửi lại sau; nếu vẫn lỗi, báo điều phối viên.",
                "The server failed; nothing was stored. Send again later.",
            ),
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> Response:
        return render(request, BadRequest("Yêu cầu không hợp lệ.", f"Invalid request: {error.errors()}"))

    @app.get("/", include_in_schema=False)
    def home() -> JSONResponse:
        return JSONResponse({"service": "tgpl", "openrosa": "/key/{token}/formList"})

    return app
