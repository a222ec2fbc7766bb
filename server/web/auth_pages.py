"""Signing in and out, and the language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from server.accounts.web_users import sign_in, sign_out_everywhere
from server.core.errors import Forbidden
from server.deps import SessionDep
from server.web.security import AnyUser, sign_in_session, verify_csrf
from server.web.templating import page

router = APIRouter(include_in_schema=False)


def _local(next_url: str) -> str:
    """Only redirect to a path of this site: no scheme, no host, not '//host' or '/\\host', no control characters."""
    parts = urlsplit(next_url or "/")
    safe = (
        next_url.startswith("/")
        and not next_url.startswith(("//", "/\\"))
        and not parts.scheme
        and not parts.netloc
        and all(ch.isprintable() and ch != "\\" for ch in next_url)
    )
    return next_url if safe else "/"


@router.get("/login")
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    """The sign-in page."""
    return page(request, "login.html", user=None, next=_local(next))


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    username: str = Form(...),
    password: str = Form(...),
    csrf: str = Form(""),
    next: str = Form("/"),
) -> Response:
    """Check the password (lockout after repeated failures) and start a session."""
    verify_csrf(request, csrf)
    try:
        user = sign_in(session=session, username=username, password=password)
    except Forbidden as error:
        lang = request.session.get("lang")
        message = error.en if lang == "en" else error.vi
        return page(request, "login.html", user=None, next=_local(next), error=message, status=403)
    sign_in_session(request, user)
    return RedirectResponse(_local(next), status_code=303)


@router.post("/logout")
def logout(request: Request, user: AnyUser, session: SessionDep, csrf: str = Form("")) -> Response:
    """End the session, and every other session cookie of this user (they are not kept on the server)."""
    verify_csrf(request, csrf)
    sign_out_everywhere(session=session, user=user)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/lang/{code}")
def language(request: Request, code: str, next: str = "/") -> Response:
    """Switch between Vietnamese and English."""
    request.session["lang"] = "en" if code == "en" else "vi"
    return RedirectResponse(_local(next), status_code=303)
