"""One place turns errors into responses: OpenRosa XML for phones, JSON for the API, a page for people."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException

from server.core.config import Settings
from server.core.errors import BadRequest, MethodNotAllowed, NotFound, TgplError
from server.core.logs import mask_tokens
from server.openrosa.responses import message_xml, xml_response
from server.web.map_page import MAP_PATH
from server.web.security import LoginRequired, lang_of
from server.web.templating import page

log = logging.getLogger(__name__)


def install(app: FastAPI, settings: Settings) -> None:
    """Register the exception handlers on the app."""

    def render(request: Request, error: TgplError) -> Response:
        path = request.url.path
        if path.startswith("/key/"):
            body = message_xml(error.message, nature="error") if request.method != "HEAD" else ""
            return xml_response(body, status=error.status, max_bytes=settings.max_submission_bytes)
        if path.startswith("/api/") or "text/html" not in request.headers.get("accept", ""):
            headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
            return JSONResponse({"code": error.code, "message": error.message, "vi": error.vi, "en": error.en},
                                status_code=error.status, headers=headers)  # fmt: skip
        message = error.en if lang_of(request) == "en" else error.vi
        framed = path == MAP_PATH  # the map's error shows in the dashboard's frame
        return page(request, "error.html", user=None, status=error.status, framable=framed, error=message)

    @app.exception_handler(TgplError)
    async def tgpl_error(request: Request, error: TgplError) -> Response:
        return render(request, error)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _error: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        if error.status_code == 404:
            return render(request, NotFound("Không có trang này.", "Not found."))
        if error.status_code == 405:
            return render(
                request, MethodNotAllowed("Phương thức không được hỗ trợ.", f"Method {request.method} not allowed.")
            )
        generic = TgplError("Yêu cầu không được chấp nhận.", str(error.detail))
        generic.status, generic.code = error.status_code, f"{error.status_code}.1"
        return render(request, generic)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> Response:
        return render(request, BadRequest("Yêu cầu không hợp lệ.", f"Invalid request: {error.errors()}"))

    @app.exception_handler(ValueError)
    async def bad_value(request: Request, error: ValueError) -> Response:
        # Services refuse bad input with ValueError (a village without a name, an unknown status...).
        return render(request, BadRequest("Dữ liệu không hợp lệ.", str(error)))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        # Whatever went wrong, a phone gets an OpenRosaResponse it can show, and nothing was half-stored:
        # services commit last, and blobs without rows are harmless.
        log.exception("unexpected error on %s %s", request.method, mask_tokens(request.url.path))
        return render(
            request,
            TgplError(
                "Máy chủ gặp lỗi, yêu cầu chưa được thực hiện. Hãy thử lại sau; nếu vẫn lỗi, báo quản trị viên.",
                "The server failed and did not carry out the request. Try again later.",
            ),
        )
