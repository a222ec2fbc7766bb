"""The dashboard: key figures of the period, the coverage map, places not reached, GPS points to review."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from server.deps import SessionDep
from server.places.coverage_access import parse_query, user_coverage, user_flags, user_schemes
from server.web.security import AnyUser, lang_of
from server.web.templating import page

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def dashboard(
    request: Request,
    user: AnyUser,
    session: SessionDep,
    start: str | None = None,
    end: str | None = None,
    scheme: str | None = None,
    area: str | None = None,
) -> HTMLResponse:
    """Key figures, the map, the places not reached and (for staff) the GPS points to review."""
    query = parse_query(user, request.query_params.get("from", start), request.query_params.get("to", end), scheme,
                        area)  # fmt: skip
    cov = user_coverage(session, user, query)
    totals = cov.totals
    flags = None
    if user.role in ("admin", "coordinator"):
        flags = user_flags(session, user, query)
    return page(request, "dashboard.html", user=user, cov=cov, totals=totals, flags=flags, start=query.start,
                end=query.end, scheme=query.scheme, schemes=user_schemes(user), area=query.area,
                lang_code=lang_of(request))  # fmt: skip
