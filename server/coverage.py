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

from sqlmodel import Session, col, select

from server.errors import NotFound
from server.gazetteer.villages import survivor_codes
from server.models import PersonCategory, PersonFact, Place, SessionFact, Village

LEVELS = ("district", "commune", "village")
SUPPRESS_BELOW = 5  # sensitive counts 1-4 are shown as "<5" to viewers, larger ones rounded to a multiple of 5


@dataclass
class Counts:
    """What happened at a place in the period."""

    sessions: int = 0
    participants: int = 0
    women: int = 0
    ethnic: int | str = 0  # sensitive: protected for viewers
    requests_received: int = 0
    requests_accepted: int = 0
    people: int | str = 0  # person records (people helped); sensitive: protected for viewers
    categories: dict[str, int | str] = field(default_factory=dict)  # Article 7 category → people; sensitive


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
) -> Coverage:
    """Coverage rows for the period [start, end] in an area (a province, district or commune code of the scheme)."""
    if scheme not in ("old", "new"):
        raise ValueError("scheme is old or new")
    area_name, communes, districts = _area(session, scheme, area_code)
    commune_codes = {c.code for c in communes}
    survivors = survivor_codes(session)
    villages = [
        v
        for v in session.exec(select(Village).where(col(Village.status).in_(("confirmed", "proposed")))).all()
        if (v.old_commune_code if scheme == "old" else v.commune_code) in commune_codes
    ]
    facts = session.exec(select(SessionFact).where(col(SessionFact.session_date) <= end)).all()
    in_period = [f for f in facts if f.session_date is not None and f.session_date >= start]
    by_key: dict[tuple[str, str], Counts] = defaultdict(Counts)
    last: dict[tuple[str, str], date] = {}

    def fact_keys(fact: SessionFact) -> Iterable[tuple[str, str]]:
        village = survivors.get(fact.village_code or "", fact.village_code)
        return _keys(scheme, fact.commune_code, fact.old_commune_code, fact.old_district_code, village)

    for fact in facts:
        for key in fact_keys(fact):
            if fact.session_date is not None and (key not in last or fact.session_date > last[key]):
                last[key] = fact.session_date
    for fact in in_period:
        for key in fact_keys(fact):
            counts = by_key[key]
            counts.sessions += 1
            counts.participants += fact.participants_total or 0
            counts.women += fact.participants_women or 0
            counts.ethnic = int(counts.ethnic) + (fact.participants_ethnic or 0)
            counts.requests_received += fact.requests_received or 0
            counts.requests_accepted += fact.requests_accepted or 0
    _people(session, scheme, start, end, survivors, by_key)
    totals = _totals([by_key.get(("commune", c.code), Counts()) for c in communes], viewer)
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

    village_codes = {v.code for v in villages}
    extra = {code for (level, code) in by_key if level == "village"} - village_codes
    visited = [
        v
        for v in (session.exec(select(Village).where(col(Village.code).in_(extra))).all() if extra else [])
        if (v.old_commune_code if scheme == "old" else v.commune_code) in commune_codes
    ]
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
            for v in sorted([*villages, *visited], key=lambda v: v.code)
            if v.status != "merged"
        ],
        sessions=[
            SessionPoint(
                f.submission_id,
                f.session_date,
                f.lat,
                f.lon,
                f.commune_code,
                survivors.get(f.village_code or "", f.village_code),
                f.participants_total,
            )
            for f in in_period
            if not viewer and f.lat is not None and f.lon is not None and _in_area(scheme, f, commune_codes)
        ],
        totals=totals,
        stale_days=stale_days,
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
        "gps_flags": [dataclasses.asdict(f) for f in flags],  # type: ignore[call-overload]
    }  # fmt: skip


def suppress(value: int | str) -> int | str:
    """Disclosure control for a sensitive count shown to viewers: 1-4 become "<5"; larger counts are rounded to a
    multiple of 5, so that differences between overlapping figures (a commune minus its villages, two periods)
    cannot recover a small count; 0 stays 0."""
    if not isinstance(value, int) or value == 0:
        return value
    if value < SUPPRESS_BELOW:
        return "<5"
    return SUPPRESS_BELOW * round(value / SUPPRESS_BELOW)


def protect(counts: Counts) -> None:
    """Apply disclosure control to the sensitive counts of a place (people, ethnic minority, Article 7)."""
    counts.people = suppress(counts.people)
    counts.ethnic = suppress(counts.ethnic)
    counts.categories = {k: suppress(v) for k, v in counts.categories.items()}


def _totals(rows: list[Counts], viewer: bool) -> Counts:
    """The area's totals, summed from the raw commune counts (before any protection), then protected for viewers."""
    total = Counts()
    for counts in rows:
        total.sessions += counts.sessions
        total.participants += counts.participants
        total.women += counts.women
        total.ethnic = int(total.ethnic) + int(counts.ethnic)
        total.requests_received += counts.requests_received
        total.requests_accepted += counts.requests_accepted
        total.people = int(total.people) + int(counts.people)
        for key, value in counts.categories.items():
            total.categories[key] = int(total.categories.get(key, 0)) + int(value)
    if viewer:
        protect(total)
    return total


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
    if old_district:
        yield ("district", old_district)


def _in_area(scheme: str, fact: SessionFact, communes: set[str]) -> bool:
    return (fact.old_commune_code if scheme == "old" else fact.commune_code) in communes


def _people(
    session: Session,
    scheme: str,
    start: date,
    end: date,
    survivors: dict[str, str],
    by_key: dict[tuple[str, str], Counts],
) -> None:
    """Add person records (and their Article 7 categories) to the counts of their places."""
    people = session.exec(
        select(PersonFact).where(col(PersonFact.intake_date) >= start, col(PersonFact.intake_date) <= end)
    ).all()
    categories: dict[int, list[str]] = defaultdict(list)
    ids = [p.submission_id for p in people]
    if ids:
        for link in session.exec(select(PersonCategory).where(col(PersonCategory.submission_id).in_(ids))).all():
            categories[link.submission_id].append(link.category)
    for person in people:
        village = survivors.get(person.village_code or "", person.village_code)
        for key in _keys(scheme, person.commune_code, person.old_commune_code, person.old_district_code, village):
            counts = by_key[key]
            counts.people = int(counts.people) + 1
            for category in categories[person.submission_id]:
                counts.categories[category] = int(counts.categories.get(category, 0)) + 1


def _area(session: Session, scheme: str, code: str | None) -> tuple[str, list[Place], list[Place]]:
    """The area's name, its communes and (old scheme) its districts, all loaded ones when code is None."""
    places = session.exec(select(Place).where(Place.scheme == scheme)).all()
    communes = [p for p in places if p.level == "commune"]
    districts = [p for p in places if p.level == "district"]
    if code is None:
        return "", sorted(communes, key=lambda p: p.code), sorted(districts, key=lambda p: p.code)
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
    return area.name, sorted(communes, key=lambda p: p.code), sorted(districts, key=lambda p: p.code)
