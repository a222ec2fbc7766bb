"""Rendering pages: every template gets the language, the words, the signed-in user and a CSRF token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from server.core.models import WebUser
from server.web.i18n import translate
from server.web.security import csrf_token, lang_of

PAGE_HEADERS = {  # no caching of personal data; no framing by other sites (clickjacking)
    "Cache-Control": "no-store",
    "X-Frame-Options": "SAMEORIGIN",
    "Content-Security-Policy": "frame-ancestors 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")


def page(request: Request, name: str, *, user: WebUser | None, status: int = 200, **context: Any) -> HTMLResponse:
    """A rendered page in the user's language."""
    lang = lang_of(request)
    return TEMPLATES.TemplateResponse(
        request,
        name,
        {"lang": lang, "t": lambda key: translate(key, lang), "user": user, "csrf": csrf_token(request), **context},
        status_code=status,
        headers=PAGE_HEADERS,
    )
