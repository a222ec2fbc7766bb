"""Synthetic coverage for map tests, in the old structure (two districts) or the new one (communes only).

Five communes, one of each recency class: Kim Lư (reached, with a square boundary), Yến Lạc (reached), Cư Lễ (45 days
ago), Thanh Mai (200 days ago), Như Cố (never). Four villages, one only proposed (so not drawn). Five session points:
four close together in Kim Lư (one cluster), one in Yến Lạc.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

from server.places.counts import Counts
from server.places.coverage import Coverage, PlaceRow, SessionPoint

START, END = date(2025, 1, 1), date(2025, 3, 31)

KIM_LU_SQUARE = json.dumps(  # GeoJSON positions are (lon, lat)
    {
        "type": "Polygon",
        "coordinates": [[[105.97, 22.15], [106.03, 22.15], [106.03, 22.21], [105.97, 22.21], [105.97, 22.15]]],
    }
)
CLOSE_SESSIONS = [(22.184, 106.004), (22.186, 106.006), (22.185, 106.002), (22.183, 106.007)]
LONE_SESSION = (22.255, 106.105)


def row(
    level: str,
    code: str,
    name: str,
    parent: str,
    lat: float,
    lon: float,
    sessions: int,
    days: int | None,
    *,
    status: str | None = None,
    boundary: str | None = None,
) -> PlaceRow:
    """A coverage row; each session in the period brings 12 participants (7 women) and 2 requests (1 accepted)."""
    counts = Counts(sessions, 12 * sessions, 7 * sessions, 0, 2 * sessions, sessions)
    last = None if days is None else END - timedelta(days=days)
    return PlaceRow(level, code, name, parent, lat, lon, counts, last, days, status, boundary)


def coverage(scheme: str = "old") -> Coverage:
    """The sample coverage; in the new structure communes hang from the province."""
    na_ri, cho_moi = ("066", "065") if scheme == "old" else ("06", "06")
    # row(level, code, name, parent, lat, lon, sessions in period, days since the last session)
    communes = [
        row("commune", "02020", "Xã Kim Lư", na_ri, 22.18, 106.0, 4, 3, boundary=KIM_LU_SQUARE),
        row("commune", "02023", "Thị trấn Yến Lạc", na_ri, 22.255, 106.1, 1, 20),
        row("commune", "02026", "Xã Cư Lễ", na_ri, 22.3, 106.0, 0, 45),
        row("commune", "01954", "Xã Thanh Mai", cho_moi, 22.05, 105.85, 0, 200),
        row("commune", "01957", "Xã Như Cố", cho_moi, 22.1, 105.9, 0, None),
    ]
    villages = [
        row("village", "0202001", "Thôn Nà Pài", "02020", 22.2, 106.02, 2, 3, status="confirmed"),
        row("village", "0202002", "Bản Khuổi Luông", "02020", 22.165, 105.99, 0, 200, status="confirmed"),
        row("village", "0195401", "Bản Cháo", "01954", 22.06, 105.86, 0, None, status="confirmed"),
        row("village", "0202301", "Tổ mới", "02023", 22.26, 106.11, 1, 20, status="proposed"),
    ]
    districts = [
        row("district", "065", "Huyện Chợ Mới", "06", 22.08, 105.88, 0, 200),
        row("district", "066", "Huyện Na Rì", "06", 22.22, 106.05, 5, 3),
    ]
    sessions = [
        SessionPoint(100 + i, END - timedelta(days=3 + i), lat, lon, "02020", "0202001", 10 + i)
        for i, (lat, lon) in enumerate(CLOSE_SESSIONS)
    ]
    sessions.append(SessionPoint(200, END - timedelta(days=20), *LONE_SESSION, "02023", None, None))
    return Coverage(
        start=START,
        end=END,
        scheme=scheme,
        area_code="06",
        area_name="Bắc Kạn",
        districts=districts if scheme == "old" else [],
        communes=communes,
        villages=villages,
        sessions=sessions,
    )
