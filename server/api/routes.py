"""The JSON API: coverage, submissions and villages for scripts and dashboards, with a web user's token
(`Authorization: Bearer …`, made by `tgpl users token`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from server.areas import user_communes, visible_villages
from server.coverage import report as coverage_report
from server.coverage_access import parse_query, user_coverage
from server.deps import SessionDep
from server.errors import Forbidden, TgplError
from server.gps_check import gps_flags
from server.models import WebUser
from server.submissions import counts_by_form
from server.web_users import user_by_api_token

router = APIRouter(prefix="/api", tags=["api"])
bearer = HTTPBearer(auto_error=False)


class Unauthorized(TgplError):
    """No valid API token."""

    status = 401
    code = "401.2"


def api_user(
    session: SessionDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> WebUser:
    """The web user owning the bearer token."""
    user = user_by_api_token(session=session, token=credentials.credentials) if credentials else None
    if user is None:
        raise Unauthorized("Thiếu hoặc sai mã API.", "Missing or invalid API token (Authorization: Bearer …).")
    return user


ApiUser = Annotated[WebUser, Depends(api_user)]


def _staff(user: WebUser) -> None:
    if user.role not in ("admin", "coordinator"):
        raise Forbidden("Vai trò của bạn chỉ xem được số liệu tổng hợp.", "Your role may only see aggregates.")


@router.get("/coverage")
def api_coverage(request: Request, user: ApiUser, session: SessionDep, scheme: str | None = None,
                 area: str | None = None) -> dict[str, Any]:  # fmt: skip
    """Coverage for ?from=&to= (default this half-year), as `tgpl coverage --json` prints it."""
    query = parse_query(user, request.query_params.get("from"), request.query_params.get("to"), scheme, area)
    cov = user_coverage(session, user, query)
    flags = []
    if user.role in ("admin", "coordinator"):
        allowed = user_communes(session, user)
        flags = [f for f in gps_flags(session, start=query.start, end=query.end)
                 if allowed is None or f.commune_code in allowed]  # fmt: skip
    return coverage_report(cov, flags)


@router.get("/villages")
def api_villages(user: ApiUser, session: SessionDep, status: str | None = None) -> list[dict[str, Any]]:
    """The villages of the user's area."""
    _staff(user)
    return [v.model_dump(exclude={"id", "merged_into_id"}) for v in visible_villages(session, user, status)]


@router.get("/submissions")
def api_submissions(user: ApiUser, session: SessionDep) -> dict[str, int]:
    """How many submissions each form holds."""
    _staff(user)
    if user_communes(session, user) is not None:
        raise Forbidden("Chỉ tài khoản toàn tỉnh.", "Only users without an area limit may count all submissions.")
    return counts_by_form(session)
