"""The JSON API: coverage, submissions and villages for scripts and dashboards, with a web user's token
(`Authorization: Bearer …`, made by `tgpl users token`)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator, BaseModel

from server.accounts.web_users import user_by_api_token
from server.core.errors import Forbidden, TgplError
from server.core.models import WebUser
from server.deps import SessionDep
from server.places.areas import user_reach, visible_villages
from server.places.coverage import report as coverage_report
from server.places.coverage_access import parse_query, user_coverage, user_flags
from server.submissions.queries import counts_by_form

bearer = HTTPBearer(auto_error=False)


class ApiError(BaseModel):
    """Every refusal of the API: a stable code and the message in both languages."""

    code: str
    message: str
    vi: str
    en: str


def _refusal(what: str) -> dict[str, Any]:
    return {"model": ApiError, "description": what}


router = APIRouter(
    prefix="/api",
    tags=["api"],
    responses={
        400: _refusal("Invalid parameters (validation errors are 400, never 422)"),
        401: _refusal("Missing or invalid API token"),
        403: _refusal("The user's role or area does not allow it"),
    },
)


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


def _utc(moment: datetime) -> datetime:
    """Times are stored in UTC; SQLite gives them back without their offset, so the API adds it (RFC 3339)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_utc)]


class VillageOut(BaseModel):
    """A village of the registry as the API shows it."""

    code: str
    name: str
    name_key: str
    commune_code: str
    old_commune_code: str | None
    lat: float | None
    lon: float | None
    status: str
    source: str
    source_ref: str | None
    created_at: UtcDatetime
    updated_at: UtcDatetime


@router.get("/coverage", responses={404: _refusal("No area with that code")})
def api_coverage(
    user: ApiUser,
    session: SessionDep,
    start: Annotated[date | None, Query(alias="from", description="first day (default: this half-year's)")] = None,
    end: Annotated[date | None, Query(alias="to", description="last day (default: today)")] = None,
    scheme: Literal["old", "new"] | None = None,
    area: str | None = None,
) -> dict[str, Any]:
    """Coverage for ?from=&to= (default this half-year), as `tgpl coverage --json` prints it."""
    first, last = (day.isoformat() if day else None for day in (start, end))
    query = parse_query(user, first, last, scheme, area)
    cov = user_coverage(session, user, query)
    flags = []
    if user.role in ("admin", "coordinator"):
        flags = user_flags(session, user, query)
    return coverage_report(cov, flags)


@router.get("/villages")
def api_villages(
    user: ApiUser, session: SessionDep, status: Literal["proposed", "confirmed", "merged", "retired"] | None = None
) -> list[VillageOut]:
    """The villages of the user's area."""
    _staff(user)
    return [VillageOut.model_validate(v, from_attributes=True) for v in visible_villages(session, user, status)]


@router.get("/submissions")
def api_submissions(user: ApiUser, session: SessionDep) -> dict[str, int]:
    """How many submissions each form holds."""
    _staff(user)
    if user_reach(session, user) is not None:
        raise Forbidden("Chỉ tài khoản toàn tỉnh.", "Only users without an area limit may count all submissions.")
    return counts_by_form(session)
