"""What coverage a web user may see: the period and area they ask for, inside their own area."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session

from server.core.errors import BadRequest, Forbidden
from server.core.models import WebUser
from server.places.areas import RecordPlace, area_within, user_reach
from server.places.coverage import Coverage, coverage
from server.places.gps_check import GpsFlag, gps_flags


@dataclass(frozen=True, slots=True)
class Query:
    """A period, a structure and an area, as chosen on the page (defaults: this half-year, the user's area)."""

    start: date
    end: date
    scheme: str
    area: str | None


def parse_query(user: WebUser, start: str | None, end: str | None, scheme: str | None, area: str | None) -> Query:
    """Read the page's filters, refusing an area outside the user's."""
    today = date.today()
    try:
        first = date.fromisoformat(start) if start else date(today.year, 1 if today.month <= 6 else 7, 1)
        last = date.fromisoformat(end) if end else today
    except ValueError as error:
        raise BadRequest("Ngày không hợp lệ (YYYY-MM-DD).", f"Invalid date: {error}") from error
    if user.role == "viewer":
        first, last = _quarter_start(first), _quarter_end(last)  # no single-day windows onto sensitive counts
    own = user.area_scheme if user.area_code else None  # an area user sees coverage in the area's structure only
    if own and scheme in ("old", "new") and scheme != own:
        raise Forbidden("Địa bàn của bạn chỉ xem được theo cơ cấu hành chính của nó.",
                        "Your area can only be shown in its own structure (old or new).")  # fmt: skip
    chosen = own or (scheme if scheme in ("old", "new") else "new")
    return Query(first, last, chosen, area or (user.area_code if own else None))


def user_schemes(user: WebUser) -> tuple[str, ...]:
    """The structures a user's coverage can be shown in: an area's own structure, or both for everyone else."""
    return (user.area_scheme,) if user.area_scheme and user.area_code else ("new", "old")


def user_coverage(session: Session, user: WebUser, query: Query, *, points: bool = False) -> Coverage:
    """The coverage this user may see: within their area, sensitive counts suppressed for viewers; session points
    only when asked for (the map)."""
    if not area_within(session, user, query.scheme, query.area):
        raise Forbidden("Địa bàn này nằm ngoài phạm vi của bạn.", "This area is outside yours.")
    return coverage(session, start=query.start, end=query.end, scheme=query.scheme, area_code=query.area,
                    stale_days=90, viewer=user.role == "viewer", points=points)  # fmt: skip


def user_flags(session: Session, user: WebUser, query: Query) -> list[GpsFlag]:
    """The period's GPS points to review that lie in the user's area."""
    reach = user_reach(session, user)
    flags = gps_flags(session, start=query.start, end=query.end)
    places = [RecordPlace(f.commune_code, f.old_commune_code, f.old_district_code) for f in flags]
    return [f for f, place in zip(flags, places, strict=True) if reach is None or reach.admits(place)]


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _quarter_end(day: date) -> date:
    month = 3 * ((day.month - 1) // 3) + 3
    return (date(day.year + 1, 1, 1) if month == 12 else date(day.year, month + 1, 1)) - timedelta(days=1)
