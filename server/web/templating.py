"""Rendering pages: every template gets the language, the words, the signed-in user, a CSRF token and the
response's script nonce; every page goes out under the strict Content-Security-Policy (server/web/csp.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from server.core.models import WebUser
from server.web.csp import new_nonce, page_headers
from server.web.i18n import translate
from server.web.security import csrf_token, lang_of

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")


def page(request: Request, name: str, *, user: WebUser | None, status: int = 200, framable: bool = False,
         **context: Any) -> HTMLResponse:  # fmt: skip
    """A rendered page in the user's language, which no page may frame (framable: only tgpl's own pages may)."""
    lang, nonce = lang_of(request), new_nonce()
    common = {"lang": lang, "t": lambda key: translate(key, lang), "user": user, "csrf": csrf_token(request),
              "csp_nonce": nonce}  # fmt: skip
    return TEMPLATES.TemplateResponse(
        request, name, {**common, **context}, status_code=status, headers=page_headers(nonce, framable=framable)
    )
