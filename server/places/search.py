"""Search places and villages by any spelling a person types: 'na ri', 'Nà Pài', 'ban na pai'."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from server.core.models import Place, Village
from server.places.names import fold, name_key


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result: an official unit or a village."""

    kind: str  # place | village
    scheme: str  # old | new (villages belong to new communes)
    level: str  # province | district | commune | village
    code: str
    name: str
    context: str  # where it is: "Huyện Na Rì, Tỉnh Bắc Kạn"
    status: str | None  # villages only
    rank: int  # 0 exact, 1 starts with, 2 contains


def _rank(query_full: str, query_key: str, name: str, key: str) -> int:
    """0 exact, 1 starts with, 2 contains; a query may name the unit type ('xa ...') or start with a word that
    only looks like one ('ban thi' for Xã Bản Thi), and may run words together ('napai')."""
    folded = fold(name)
    if key in (query_key, query_full) or folded == query_full or key.replace(" ", "") == query_key.replace(" ", ""):
        return 0
    if key.startswith((query_key, query_full)) or folded.startswith(query_full):
        return 1
    return 2


def search(session: Session, text: str, *, scheme: str | None = None, limit: int = 20) -> list[Hit]:
    """Places and villages whose folded name contains the folded query, best matches first."""
    query_full, query_key = fold(text), name_key(text)
    if not query_key:
        return []
    pattern = f"%{query_key}%"  # folded text holds only a-z, 0-9 and spaces: no LIKE wildcards to escape
    squeezed = f"%{query_key.replace(' ', '')}%"  # "napai" finds "Nà Pài", "na pai" finds "Napài"

    def matches(column: Any) -> Any:
        return col(column).like(pattern) | func.replace(column, " ", "").like(squeezed)

    places = session.exec(select(Place).where(matches(Place.name_key))).all()
    if scheme:
        places = [p for p in places if p.scheme == scheme]
    villages = []
    if scheme in (None, "new"):  # villages belong to 2025 communes
        villages = list(
            session.exec(
                select(Village).where(matches(Village.name_key), col(Village.status).in_(("proposed", "confirmed")))
            ).all()
        )
    parents = _parents(session, {p.parent_code for p in places if p.parent_code} | {v.commune_code for v in villages})
    hits = [
        Hit(
            "place",
            p.scheme,
            p.level,
            p.code,
            p.name,
            parents.get((p.scheme, p.parent_code or ""), ""),
            None,
            _rank(query_full, query_key, p.name, p.name_key),
        )
        for p in places
    ]
    hits += [
        Hit(
            "village",
            "new",
            "village",
            v.code,
            v.name,
            parents.get(("new", v.commune_code), ""),
            v.status,
            _rank(query_full, query_key, v.name, v.name_key),
        )
        for v in villages
    ]
    order = {"province": 0, "district": 1, "commune": 2, "village": 3}
    return sorted(hits, key=lambda h: (h.rank, order[h.level], h.scheme != "new", h.name))[:limit]


def _parents(session: Session, codes: set[str]) -> dict[tuple[str, str], str]:
    """'(scheme, code) → "Name, Parent name"' for the parents of the hits, two levels up."""
    if not codes:
        return {}
    rows = session.exec(select(Place).where(col(Place.code).in_(codes))).all()
    grand = {
        (p.scheme, p.code): p.name
        for p in session.exec(
            select(Place).where(col(Place.code).in_({r.parent_code for r in rows if r.parent_code}))
        ).all()
    }
    return {
        (r.scheme, r.code): ", ".join(filter(None, [r.name, grand.get((r.scheme, r.parent_code or ""))])) for r in rows
    }
