"""Coverage of villages, communes and districts by legal-aid sessions for a period and an area (no HTTP).

Counts come from the fact rows (current versions only), by event date, in either structure: 'new' (2025 communes)
or 'old' (pre-2025 districts and communes, reached through each record's village or commune). Records of a merged
village count for its survivor.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from server.core.errors import NotFound
from server.core.models import PersonCategory, PersonFact, Place, SessionFact
from server.places.counts import Counts, protect, total_of
from server.places.coverage_reads import (
    PLACE_COLUMNS,
    latest_dates,
    period_groups,
    plain_rows,
    registry_villages,
    survivor_codes,
)

LEVELS = ("district", "commune", "village")
UNKNOWN_OLD = "old_commune_unknown"  # key of the records whose pre-2025 commune cannot be told (by old district)


@dataclass
class PlaceRow:
    """A district, commune or village with its counts."""

    level: str  # district | commune | village
    code: str
    name: str
    parent_code: str | None  # the district of an old commune, the commune of a village
    lat: float | None
    lon: float | None
    counts: Counts
    last_session: date | None  # the latest session up to the end of the period (any period)
    days_since: int | None  # from last_session to the end of the period
    status: str | None = None  # villages: confirmed (or proposed, when a session was recorded there)
    boundary: str | None = None  # GeoJSON geometry, when boundaries are loaded

    @property
    def reached(self) -> bool:
        """At least one session in the period."""
        return self.counts.sessions > 0


@dataclass
class SessionPoint:
    """A session with a GPS point, for maps."""

    submission_id: int
    session_date: date | None
    lat: float
    lon: float
    commune_code: str | None
    village_code: str | None
    participants: int | None


@dataclass
class Coverage:
    """The coverage of an area in a period."""

    start: date
    end: date
    scheme: str
    area_code: str | None
    area_name: str
    districts: list[PlaceRow]
    communes: list[PlaceRow]
    villages: list[PlaceRow]
    sessions: list[SessionPoint]  # none for viewers: a point with a date and a count is an individual record
    totals: Counts = field(default_factory=Counts)  # the whole area (protected for viewers)
    stale_days: int | None = None
    # Old structure: the area's records whose old commune is unknown (a village with none yet), in their own row so
    # that both structures add up to the same totals; None in the 2025 structure.
    unknown_old: PlaceRow | None = None

    @property
    def communes_reached_share(self) -> float:
        """Share of the area's communes with a session in the period."""
        return _share(self.communes)

    @property
    def villages_reached_share(self) -> float:
        """Share of the area's confirmed villages with a session in the period."""
        return _share([v for v in self.villages if v.status == "confirmed"])

    def not_reached(self, level: str) -> list[PlaceRow]:
        """Places of a level with no session in the period."""
        return [row for row in self._rows(level) if not row.reached]

    def stale(self, level: str) -> list[PlaceRow]:
        """Places of a level not reached for stale_days days before the end of the period (or never)."""
        if self.stale_days is None:
            return []
        return [r for r in self._rows(level) if r.days_since is None or r.days_since > self.stale_days]

    def _rows(self, level: str) -> list[PlaceRow]:
        return {"district": self.districts, "commune": self.communes, "village": self.villages}[level]


def _share(rows: list[PlaceRow]) -> float:
    return sum(r.reached for r in rows) / len(rows) if rows else 0.0


def coverage(
    session: Session,
    *,
    start: date,
    end: date,
    scheme: str = "new",
    area_code: str | None = None,
    stale_days: int | None = None,
    viewer: bool = False,
    points: bool = True,
) -> Coverage:
    """Coverage rows for the period [start, end] in an area (a province, district or commune code of the scheme);
    with points, also the period's sessions that have a GPS point (what a map draws; tables and reports need none)."""
    if scheme not in ("old", "new"):
        raise ValueError("scheme is old or new")
    area_name, area_level, communes, districts = _area(session, scheme, area_code)
    commune_codes = {c.code for c in communes}
    registry = {v.code: v for v in registry_villages(session)}
    survivors = survivor_codes(registry)
    by_key: dict[tuple[str, str], Counts] = defaultdict(Counts)
    last: dict[tuple[str, str], date] = {}  # each place's latest session up to the end of the period
    for group in period_groups(session, start, end):
        village = survivors.get(group.village_code or "", group.village_code)
        for key in _keys(scheme, group.commune_code, group.old_commune_code, group.old_district_code, village):
            counts = by_key[key]
            counts.sessions += group.sessions
            counts.participants += group.participants
            counts.women += group.women
            counts.ethnic = int(counts.ethnic) + group.ethnic
            counts.requests_received += group.requests_received
            counts.requests_accepted += group.requests_accepted
            if key not in last or group.latest > last[key]:
                last[key] = group.latest
    _people(session, scheme, start, end, survivors, by_key)
    unknown = _unknown_old(scheme, area_level, districts, by_key)
    rows = [by_key.get(("commune", c.code), Counts()) for c in communes]
    totals = total_of(rows + ([unknown] if unknown is not None else []), viewer=viewer)
    if viewer and unknown is not None:
        protect(unknown)
    if viewer:
        for counts in by_key.values():
            protect(counts)

    def row(
        level: str,
        code: str,
        name: str,
        parent: str | None,
        lat: float | None,
        lon: float | None,
        status: str | None = None,
        boundary: str | None = None,
    ) -> PlaceRow:
        seen = last.get((level, code))
        return PlaceRow(
            level,
            code,
            name,
            parent,
            lat,
            lon,
            by_key.get((level, code), Counts()),
            seen,
            (end - seen).days if seen else None,
            status,
            boundary,
        )

    # The area's confirmed and proposed villages, and any other village (retired...) where something was counted.
    visited = {code for (level, code) in by_key if level == "village"}
    villages = sorted(
        (
            v
            for v in registry.values()
            if (v.status in ("confirmed", "proposed") or v.code in visited)
            and (v.old_commune_code if scheme == "old" else v.commune_code) in commune_codes
            and v.status != "merged"
        ),
        key=lambda v: v.code,
    )
    shown = {"district": [d.code for d in districts], "commune": [c.code for c in communes],
             "village": [v.code for v in villages]}  # fmt: skip
    _latest_before(session, scheme, end, survivors, shown, last)
    return Coverage(
        start=start,
        end=end,
        scheme=scheme,
        area_code=area_code,
        area_name=area_name,
        districts=[
            row("district", d.code, d.name, d.parent_code, d.lat, d.lon, boundary=d.boundary) for d in districts
        ],
        communes=[row("commune", c.code, c.name, c.parent_code, c.lat, c.lon, boundary=c.boundary) for c in communes],
        villages=[
            row(
                "village",
                v.code,
                v.name,
                v.old_commune_code if scheme == "old" else v.commune_code,
                v.lat,
                v.lon,
                v.status,
            )
            for v in villages
        ],
        sessions=(
            _session_points(session, scheme, start, end, commune_codes, survivors) if points and not viewer else []
        ),
        totals=totals,
        stale_days=stale_days,
        unknown_old=None if unknown is None else PlaceRow("commune", "", "", None, None, None, unknown, None, None),
    )


def report(cov: Coverage, flags: Sequence[object] = ()) -> dict[str, Any]:
    """The coverage as plain data (what --json prints, and what the JSON API returns)."""

    def rows(items: list[PlaceRow]) -> list[dict[str, Any]]:
        return [
            {**{k: v for k, v in dataclasses.asdict(r).items() if k != "boundary"}, "reached": r.reached} for r in items
        ]

    return {
        "from": cov.start.isoformat(), "to": cov.end.isoformat(), "scheme": cov.scheme, "area": cov.area_code,
        "area_name": cov.area_name, "communes_reached_share": round(cov.communes_reached_share, 4),
        "villages_reached_share": round(cov.villages_reached_share, 4),
        "districts": rows(cov.districts), "communes": rows(cov.communes), "villages": rows(cov.villages),
        "not_reached": {level: [r.code for r in cov.not_reached(level)] for level in LEVELS},
        "stale_days": cov.stale_days,
        "stale": {level: [r.code for r in cov.stale(level)] for level in LEVELS},
        "old_commune_unknown": dataclasses.asdict(cov.unknown_old.counts) if cov.unknown_old else None,
        "gps_flags": [dataclasses.asdict(f) for f in flags],  # type: ignore[call-overload]
    }  # fmt: skip


def _keys(
    scheme: str, commune: str | None, old_commune: str | None, old_district: str | None, village: str | None
) -> Iterable[tuple[str, str]]:
    if village:
        yield ("village", village)
    if scheme == "new":
        if commune:
            yield ("commune", commune)
        return
    if old_commune:
        yield ("commune", old_commune)
    else:
        yield (UNKNOWN_OLD, old_district or "")
    if old_district:
        yield ("district", old_district)


def _unknown_old(
    scheme: str, level: str | None, districts: list[Place], by_key: dict[tuple[str, str], Counts]
) -> Counts | None:
    """The area's records of unknown old commune, summed (old structure only): those of its districts, and for the
    whole structure (level None) or a province also those whose old district is unknown too."""
    if scheme != "old" or level == "commune":  # an old commune holds no record of unknown old commune
        return None
    keys = [d.code for d in districts] + ([""] if level in (None, "province") else [])
    return total_of([by_key[(UNKNOWN_OLD, k)] for k in keys if (UNKNOWN_OLD, k) in by_key], viewer=False)


def _latest_before(
    session: Session,
    scheme: str,
    end: date,
    survivors: dict[str, str],
    shown: dict[str, list[str]],
    last: dict[tuple[str, str], date],
) -> None:
    """Add to last the latest session up to end of the places shown (codes by level) that the period did not reach;
    those it reached have theirs from its sessions. A merged village's sessions count for its survivor."""
    for level in (level for level in PLACE_COLUMNS[scheme] if level != "village"):
        missing = [code for code in shown[level] if (level, code) not in last]
        last.update(((level, code), day) for code, day in latest_dates(session, scheme, level, missing, end))
    unreached = {code for code in shown["village"] if ("village", code) not in last}
    merged_in = [code for code, survivor in survivors.items() if survivor in unreached]  # the village's own code too
    for code, day in latest_dates(session, scheme, "village", merged_in, end):
        key = ("village", survivors[code])
        last[key] = max(day, last.get(key, day))


def _session_points(
    session: Session, scheme: str, start: date, end: date, communes: set[str], survivors: dict[str, str]
) -> list[SessionPoint]:
    """The sessions of the period with a GPS point in the area's communes, by date."""
    commune = SessionFact.old_commune_code if scheme == "old" else SessionFact.commune_code
    query = (
        select_columns(*(col(c) for c in (
            SessionFact.submission_id, SessionFact.session_date, SessionFact.lat, SessionFact.lon,
            SessionFact.commune_code, SessionFact.village_code, SessionFact.participants_total, commune,
        )))
        .where(col(SessionFact.session_date) >= start, col(SessionFact.session_date) <= end,
               col(SessionFact.lat).is_not(None), col(SessionFact.lon).is_not(None))
        .order_by(col(SessionFact.session_date), col(SessionFact.submission_id))
    )  # fmt: skip
    return [
        SessionPoint(record, day, lat, lon, new_commune, survivors.get(village or "", village), participants)
        for record, day, lat, lon, new_commune, village, participants, area_commune in plain_rows(session, query)
        if area_commune in communes
    ]


def _people(
    session: Session,
    scheme: str,
    start: date,
    end: date,
    survivors: dict[str, str],
    by_key: dict[tuple[str, str], Counts],
) -> None:
    """Add person records (and their Article 7 categories) to the counts of their places, counted in SQL."""
    places = [col(c) for c in (PersonFact.village_code, PersonFact.commune_code, PersonFact.old_commune_code,
                               PersonFact.old_district_code)]  # fmt: skip
    in_period = (col(PersonFact.intake_date) >= start, col(PersonFact.intake_date) <= end)
    people = select_columns(*places, func.count()).where(*in_period).group_by(*places)
    ticked = (
        select_columns(*places, col(PersonCategory.category), func.count())
        .join(PersonCategory, col(PersonCategory.submission_id) == PersonFact.submission_id)
        .where(*in_period)
        .group_by(*places, col(PersonCategory.category))
        .order_by(col(PersonCategory.category))
    )

    def keys(village: str | None, commune: str | None, old_commune: str | None, district: str | None) -> Any:
        return _keys(scheme, commune, old_commune, district, survivors.get(village or "", village))

    for village, commune, old_commune, district, number in plain_rows(session, people):
        for key in keys(village, commune, old_commune, district):
            counts = by_key[key]
            counts.people = int(counts.people) + number
    for village, commune, old_commune, district, category, number in plain_rows(session, ticked):
        for key in keys(village, commune, old_commune, district):
            counts = by_key[key]
            counts.categories[category] = int(counts.categories.get(category, 0)) + number


def _area(session: Session, scheme: str, code: str | None) -> tuple[str, str | None, list[Place], list[Place]]:
    """The area's name, level, communes and (old scheme) districts; every loaded one, and no level, when code is
    None."""
    places = session.exec(select(Place).where(Place.scheme == scheme)).all()
    communes = [p for p in places if p.level == "commune"]
    districts = [p for p in places if p.level == "district"]
    if code is None:
        return "", None, sorted(communes, key=lambda p: p.code), sorted(districts, key=lambda p: p.code)
    area = next((p for p in places if p.code == code), None)
    if area is None:
        raise NotFound(
            f"Không có địa bàn mã {code} ({scheme}).", f"No area with code {code} in the {scheme} structure."
        )
    if area.level == "commune":
        communes = [area]
    elif area.level == "district":
        communes = [c for c in communes if c.parent_code == code]
    else:
        communes = [c for c in communes if c.province_code == code]
    district_codes = {c.parent_code for c in communes}
    districts = [d for d in districts if d.code in district_codes]
    return area.name, area.level, sorted(communes, key=lambda p: p.code), sorted(districts, key=lambda p: p.code)
