"""The queries coverage is counted from: registry villages, a period's sessions by place, each place's latest
session. Plain columns, no ORM objects: they may read tens of thousands of rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Executable, func
from sqlalchemy import select as select_columns
from sqlmodel import Session, col

from server.core.models import SessionFact, Village


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
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
    """The sessions of [start, end] grouped by place and summed in SQL (a range of the session_date index)."""

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
        )
        .where(col(SessionFact.session_date) >= start, col(SessionFact.session_date) <= end)
        .group_by(*places)
    )
    return [Group(*row) for row in plain_rows(session, query)]


# The place columns whose latest session date a structure's rows show, with the level of the row.
LATEST_COLUMNS = {
    "new": (("village", "village_code"), ("commune", "commune_code")),
    "old": (("village", "village_code"), ("commune", "old_commune_code"), ("district", "old_district_code")),
}


def latest_dates(session: Session, scheme: str, end: date, survivors: dict[str, str]) -> dict[tuple[str, str], date]:
    """Each place's latest session on or before end ("last reached", any period); a merged village's for its survivor.

    Per place column, a walk over the (column, session_date) index: the next code (one seek), then its latest date
    up to end (one seek), so the cost follows the number of places, not of sessions. Both databases run it as index
    seeks (a recursive CTE emulating a loose index scan)."""
    last: dict[tuple[str, str], date] = {}
    for level, name in LATEST_COLUMNS[scheme]:
        for code, day in plain_rows(session, _latest_query(name, end)):
            key = (level, survivors.get(code, code) if level == "village" else code)
            if day is not None and (key not in last or day > last[key]):
                last[key] = day
    return last


def _latest_query(name: str, end: date) -> Executable:
    """code, latest session date up to end: one row per distinct non-null value of session_fact.<name>."""
    fact = SessionFact.__table__.alias("fact")  # type: ignore[attr-defined]
    column = fact.c[name]
    first = select_columns(func.min(column).label("code"))
    codes = first.cte("codes", recursive=True)
    following = select_columns(func.min(column)).where(column > codes.c.code).scalar_subquery()
    codes = codes.union_all(select_columns(following).where(codes.c.code.is_not(None)))
    latest = (
        select_columns(func.max(fact.c.session_date))
        .where(column == codes.c.code, fact.c.session_date <= end)
        .scalar_subquery()
    )
    return select_columns(codes.c.code, latest).where(codes.c.code.is_not(None))
