"""The coverage map: a page for the dashboard's frame, and the Leaflet files tgpl serves itself (no CDN)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from maps import asset_files, page_html
from server.deps import SessionDep
from server.places.coverage_access import parse_query, user_coverage
from server.web.csp import new_nonce, page_headers
from server.web.page_scripts import listed_file
from server.web.security import AnyUser, lang_of

router = APIRouter(include_in_schema=False)
ASSET_BASE = "/static/map"
MAP_PATH = "/map"  # the page the dashboard frames


@router.get(MAP_PATH, response_class=HTMLResponse)
def coverage_map(request: Request, user: AnyUser, session: SessionDep, scheme: str | None = None,
                 area: str | None = None) -> HTMLResponse:  # fmt: skip
    """The map of the period and area chosen on the dashboard (the one page tgpl's own pages may frame)."""
    query = parse_query(user, request.query_params.get("from"), request.query_params.get("to"), scheme, area or None)
    cov = user_coverage(session, user, query, points=True)
    nonce = new_nonce()
    html = page_html(cov, lang=lang_of(request), asset_base=ASSET_BASE, nonce=nonce)
    return HTMLResponse(html, headers=page_headers(nonce, framable=True))


@router.get(ASSET_BASE + "/{name:path}")
def asset(name: str) -> FileResponse:
    """Leaflet and its plugins, from their PyPI packages (only the listed files; the name is a lookup key)."""
    return listed_file(asset_files(), name, headers={"Cache-Control": "public, max-age=86400"})
