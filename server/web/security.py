"""Who is signed in (session cookie), what their role allows, and CSRF tokens for every form."""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request

from server.core.config import Settings
from server.core.errors import Forbidden
from server.core.models import WebUser
from server.deps import SessionDep

SESSION_COOKIE = "tgpl_session"
SESSION_SECONDS = 12 * 3600


class LoginRequired(Exception):
    """No one is signed in: the page sends the browser to the sign-in page."""


def secret_key(settings: Settings) -> str:
    """The key that signs session cookies: kept in the data directory, made once.

    Written whole to a temporary file, then linked into place: of several processes starting together on a new
    data directory, one link wins and every process reads that key, never a half-written one."""
    path: Path = settings.data_dir / "secret_key"
    if not path.is_file():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".secret_key-", dir=settings.data_dir)
        try:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_urlsafe(48))
                out.flush()
                os.fsync(out.fileno())
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            os.unlink(tmp)
    return path.read_text().strip()


def current_user(request: Request, session: SessionDep) -> WebUser:
    """The signed-in user, or LoginRequired."""
    user_id, issued = request.session.get("uid"), request.session.get("iat")
    user = session.get(WebUser, user_id) if isinstance(user_id, int) else None
    expired = not isinstance(issued, int) or time.time() - issued > SESSION_SECONDS  # absolute, not sliding
    if user is None or expired or request.session.get("pw") != _fingerprint(user):
        request.session.clear()
        raise LoginRequired
    return user


def require(*roles: str) -> Callable[[WebUser], WebUser]:
    """A dependency admitting only the given roles."""

    def check(user: Annotated[WebUser, Depends(current_user)]) -> WebUser:
        if user.role not in roles:
            raise Forbidden("Bạn không có quyền xem trang này.", "Your role may not use this page.")
        return user

    return check


def require_whole_province(user: Annotated[WebUser, Depends(require("admin", "coordinator"))]) -> WebUser:
    """Staff not limited to an area: phones and forms are not tied to one area, so only they manage them."""
    if user.area_code is not None:
        raise Forbidden(
            "Chỉ điều phối viên toàn tỉnh quản lý máy và biểu mẫu.",
            "Only coordinators without an area limit manage phones and forms.",
        )
    return user


def require_province_wide(user: Annotated[WebUser, Depends(current_user)]) -> WebUser:
    """Any user not limited to an area: the whole province's reports (a viewer's with protected counts)."""
    if user.area_code is not None:
        raise Forbidden(
            "Báo cáo định kỳ là của toàn tỉnh; tài khoản của bạn chỉ xem một khu vực.",
            "Periodic reports cover the whole province; your account is limited to an area.",
        )
    return user


def require_province_admin(user: Annotated[WebUser, Depends(require("admin"))]) -> WebUser:
    """An admin not limited to an area: a form's sensitivity holds in every area, so only such an admin sets it."""
    return require_whole_province(user)


AnyUser = Annotated[WebUser, Depends(current_user)]
Staff = Annotated[WebUser, Depends(require("admin", "coordinator"))]
Admin = Annotated[WebUser, Depends(require("admin"))]
WholeProvince = Annotated[WebUser, Depends(require_whole_province)]
ProvinceWide = Annotated[WebUser, Depends(require_province_wide)]
ProvinceAdmin = Annotated[WebUser, Depends(require_province_admin)]


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use); every form posts it back."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def verify_csrf(request: Request, posted: str) -> None:
    """Refuse a form post whose CSRF token is not the session's."""
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not secrets.compare_digest(expected, posted or ""):
        raise Forbidden("Phiên làm việc đã hết hạn, hãy tải lại trang.", "Invalid or missing CSRF token; reload.")


def sign_in_session(request: Request, user: WebUser) -> None:
    """Start a fresh session for the user (a new CSRF token too: no fixation)."""
    lang = request.session.get("lang", "vi")
    request.session.clear()
    request.session.update({"uid": user.id, "pw": _fingerprint(user), "lang": lang, "iat": int(time.time())})


def _fingerprint(user: WebUser) -> str:
    """Changes when the password changes or the user signs out, ending every session cookie issued before."""
    return hashlib.sha256(f"{user.password_hash}:{user.session_version}".encode()).hexdigest()[:16]


def lang_of(request: Request) -> str:
    """The page language: Vietnamese unless the user switched to English."""
    return "en" if request.session.get("lang") == "en" else "vi"
