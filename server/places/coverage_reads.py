"""The queries coverage is counted from: registry villages, a period's sessions by place, the latest session of the
places a period did not reach. Plain columns, no ORM objects: they may read tens of thousands of rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Executable, bindparam, func
from sqlalchemy import select as select_columns
from sqlmodel import Session, col

from server.core.models import Place, SessionFact, Village

CODES_PER_QUERY = 500  # places whose latest session one statement seeks (bound parameters stay few on any SQLite)
# The session_fact column each structure's rows are counted by, by level.
PLACE_COLUMNS = {
    "new": {"commune": "commune_code", "village": "village_code"},
    "old": {"district": "old_district_code", "commune": "old_commune_code", "village": "village_code"},
}


# Not frozen: a frozen dataclass costs ten times as much to build, and a report builds one per registry village.
@dataclass(slots=True)
class VillageRef:
    """What coverage needs of a registry village."""

    id: int
    code: str
    name: str
    commune_code: str
    old_commune_code: str | None
    lat: float | None
    lon: float | None
    status: str
    merged_into_id: int | None


@dataclass(slots=True)
class Group:
    """The sessions of the period recorded at one place (village and communes of both structures), summed."""

    village_code: str | None
    commune_code: str | None
    old_commune_code: str | None
    old_district_code: str | None
    sessions: int
    participants: int
    women: int
    ethnic: int
    requests_received: int
    requests_accepted: int
    latest: date  # the place's latest session in the period


def plain_rows(session: Session, query: Executable) -> Sequence[Any]:
    """The plain rows (tuples) of a query of columns, in the session's transaction."""
    return session.connection().execute(query).all()


def registry_villages(session: Session) -> list[VillageRef]:
    """Every registry village, read as plain columns (the registry may hold tens of thousands)."""
    columns = (Village.id, Village.code, Village.name, Village.commune_code, Village.old_commune_code,
               Village.lat, Village.lon, Village.status, Village.merged_into_id)  # fmt: skip
    query = select_columns(*(col(c) for c in columns))
    return [VillageRef(*row) for row in plain_rows(session, query)]


def survivor_codes(registry: dict[str, VillageRef]) -> dict[str, str]:
    """Every village code mapped to its survivor's code, following chains of merges (and stopping at a cycle)."""
    by_id = {v.id: v for v in registry.values()}
    survivors = {}
    for village in registry.values():
        current, seen = village, {village.id}
        while current.status == "merged" and current.merged_into_id is not None:
            target = by_id.get(current.merged_into_id)
            if target is None or target.id in seen:
                break
            seen.add(target.id)
            current = target
        survivors[village.code] = current.code
    return survivors


def period_groups(session: Session, start: date, end: date) -> list[Group]:
    """The sessions of [start, end] grouped by place and summed in SQL (a range of the session_date index), with
    each place's latest date in it: the "last reached" of every place the period reached, at no extra cost."""

    def total(column: Any) -> Any:
        return func.coalesce(func.sum(func.coalesce(column, 0)), 0)

    places = [col(c) for c in (SessionFact.village_code, SessionFact.commune_code, SessionFact.old_commune_code,
                               SessionFact.old_district_code)]  # fmt: skip
    query = (
        select_columns(
            *places,
            func.count(),
            total(SessionFact.participants_total),
            total(SessionFact.participants_women),
            total(SessionFact.participants_ethnic),
            total(SessionFact.requests_received),
            total(SessionFact.requests_accepted),
            func.max(SessionFact.session_date),
        )
        .where(col(SessionFact.session_date) >= start, col(SessionFact.session_date) <= end)
        .group_by(*places)
    )
    return [Group(*row) for row in plain_rows(session, query)]


def latest_dates(session: Session, scheme: str, level: str, codes: Iterable[str], end: date) -> list[tuple[str, date]]:
    """The latest session on or before end of each place given (of those with one), by the place column of the
    level in the structure.

    For the places a period did not reach (those it reached have their latest in the period): one seek per place on
    its (place, session_date) index, so the cost follows the places asked, not their sessions."""
    ordered = sorted(set(codes))
    if not ordered:
        return []
    fact = SessionFact.__table__.alias("fact")  # type: ignore[attr-defined]
    if level == "village":
        code, where = col(Village.code), []
    else:
        code, where = col(Place.code), [col(Place.scheme) == scheme, col(Place.level) == level]
    latest = (
        select_columns(func.max(fact.c.session_date))
        .where(fact.c[PLACE_COLUMNS[scheme][level]] == code, fact.c.session_date <= end)
        .scalar_subquery()
    )
    query = select_columns(code, latest).where(code.in_(bindparam("codes", expanding=True)), *where)
    found: list[tuple[str, date]] = []
    for first in range(0, len(ordered), CODES_PER_QUERY):
        rows = plain_rows(session, query.params(codes=ordered[first : first + CODES_PER_QUERY]))
        found += [(place, day) for place, day in rows if day is not None]
    return found
