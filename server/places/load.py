"""Load official units and the 2025 old→new mapping from the `vietnamadminunits` package (idempotent)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, select

from server.core.errors import NotFound
from server.core.models import Place, PlaceSuccessor
from server.places.names import name_key, nfc

Progress = Callable[[str], None]
PLACE_FIELDS = ("name", "short_name", "unit_type", "name_key", "parent_code", "province_code", "lat", "lon", "area_km2")


@dataclass
class LoadReport:
    """What a load found and changed, for the CLI to print."""

    counts: dict[str, int] = field(default_factory=dict)  # "old province": 1, "new commune": 37...
    successors: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    seconds: float = 0.0


def _full_name(unit_type: str, short: str) -> str:
    return nfc(f"{unit_type} {short}")


def _type_of(full: str, short: str) -> str:
    """'Thành Phố Hà Nội' minus 'Hà Nội' → 'Thành phố' (the package capitalises some types oddly)."""
    head = nfc(full)[: -len(nfc(short))].strip() if nfc(full).endswith(nfc(short)) else nfc(full)
    return head[:1].upper() + head[1:].lower()


def _place(scheme: str, level: str, code: str, unit_type: str, short: str, **extra: Any) -> dict[str, Any]:
    name = _full_name(unit_type, short)
    row = {
        "scheme": scheme,
        "level": level,
        "code": code,
        "name": name,
        "short_name": nfc(short),
        "unit_type": unit_type,
        "name_key": name_key(name),
        "parent_code": None,
        "lat": None,
        "lon": None,
        "area_km2": None,
    }
    row.update(extra)
    return row


def _province(scheme: str, row: dict[str, Any]) -> dict[str, Any]:
    """A province row of either structure (both tables of the package name provinces alike)."""
    return _place(scheme, "province", row["provinceCode"], _type_of(row["province"], row["provinceShort"]),
                  row["provinceShort"], province_code=row["provinceCode"], lat=row["provinceLat"],
                  lon=row["provinceLon"])  # fmt: skip


def read_official_units(provinces: Sequence[str] | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Places and successor rows for the old provinces given by code (all of Vietnam when None)."""
    from vietnamadminunits.converter.converter_2025 import (  # imported late: it reads its data files on import
        DICT_PROVINCE_WARD_DIVIDED,
        DICT_PROVINCE_WARD_NO_DIVIDED,
    )
    from vietnamadminunits.database import get_data

    wanted = set(provinces) if provinces else None
    legacy = [r for r in get_data(table="admin_units_legacy") if wanted is None or r["provinceCode"] in wanted]
    unknown = (wanted or set()) - {r["provinceCode"] for r in legacy}
    if unknown:
        codes = ", ".join(sorted(unknown))
        raise NotFound(f"Không có tỉnh (trước 2025) mã {codes}.", f"No pre-2025 province with code {codes}.")
    new_units = {(r["provinceKey"], r["wardKey"]): r for r in get_data(table="admin_units")}
    old_by_key = {f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey'] or ''}": r for r in legacy}

    successors: dict[tuple[str, str], dict[str, Any]] = {}

    def link(old_key: str, new_province: str, new_ward: str, *, default: bool, whole: bool) -> None:
        old, new = old_by_key.get(old_key), new_units.get((new_province, new_ward))
        if old is None or new is None:
            return
        old_code = old["wardCode"] or old["districtCode"]  # island districts have no communes
        successors[(old_code, new["wardCode"])] = {
            "old_code": old_code,
            "new_code": new["wardCode"],
            "is_default": default,
            "whole": whole,
        }

    for new_province, wards in DICT_PROVINCE_WARD_NO_DIVIDED.items():
        for new_ward, old_keys in wards.items():
            for old_key in old_keys:
                link(old_key, new_province, new_ward, default=True, whole=True)
    for new_province, divided in DICT_PROVINCE_WARD_DIVIDED.items():
        for old_key, parts in divided.items():
            for part in parts:
                link(old_key, new_province, part["newWardKey"], default=bool(part["isDefaultNewWard"]), whole=False)

    places: dict[tuple[str, str, str], dict[str, Any]] = {}
    for r in legacy:
        places[("old", "province", r["provinceCode"])] = _province("old", r)
        places[("old", "district", r["districtCode"])] = _place(
            "old",
            "district",
            r["districtCode"],
            nfc(r["districtType"]),
            r["districtShort"],
            parent_code=r["provinceCode"],
            province_code=r["provinceCode"],
            lat=r["districtLat"],
            lon=r["districtLon"],
        )
        if r["wardCode"]:
            places[("old", "commune", r["wardCode"])] = _place(
                "old",
                "commune",
                r["wardCode"],
                nfc(r["wardType"]),
                r["wardShort"],
                parent_code=r["districtCode"],
                province_code=r["provinceCode"],
                lat=r["wardLat"],
                lon=r["wardLon"],
            )
    new_codes = {s["new_code"] for s in successors.values()}
    for r in new_units.values():
        if r["wardCode"] not in new_codes:
            continue
        places[("new", "province", r["provinceCode"])] = _province("new", r)
        places[("new", "commune", r["wardCode"])] = _place(
            "new",
            "commune",
            r["wardCode"],
            nfc(r["wardType"]),
            r["wardShort"],
            parent_code=r["provinceCode"],
            province_code=r["provinceCode"],
            lat=r["wardLat"],
            lon=r["wardLon"],
            area_km2=r["wardAreaKm2"],
        )
    return list(places.values()), list(successors.values())


def load_gazetteer(*, session: Session, provinces: Sequence[str] | None, progress: Progress) -> LoadReport:
    """Insert or update the official units of a scope and their successors; running it again changes nothing."""
    started = time.monotonic()
    progress("Đọc danh mục hành chính / reading vietnamadminunits…")
    places, successors = read_official_units(provinces)
    report = LoadReport()
    for row in places:
        label = f"{row['scheme']} {row['level']}"
        report.counts[label] = report.counts.get(label, 0) + 1
    progress(", ".join(f"{label}: {count}" for label, count in sorted(report.counts.items())))
    existing = {(p.scheme, p.level, p.code): p for p in session.exec(select(Place)).all()}
    fresh = []
    for row in places:
        current = existing.get((row["scheme"], row["level"], row["code"]))
        if current is None:
            fresh.append(row)
        elif any(getattr(current, f) != row[f] for f in PLACE_FIELDS):
            for f in PLACE_FIELDS:
                setattr(current, f, row[f])
            session.add(current)
            report.updated += 1
        else:
            report.unchanged += 1
    _insert(session, Place, fresh)
    report.inserted = len(fresh)
    known = {(s.old_code, s.new_code): s for s in session.exec(select(PlaceSuccessor)).all()}
    new_links = []
    for row in successors:
        link = known.get((row["old_code"], row["new_code"]))
        if link is None:
            new_links.append(row)
        elif (link.is_default, link.whole) != (row["is_default"], row["whole"]):
            link.is_default, link.whole = row["is_default"], row["whole"]
            session.add(link)
    _insert(session, PlaceSuccessor, new_links)
    report.successors = len(successors)
    session.commit()
    report.seconds = time.monotonic() - started
    progress(
        f"Thêm / inserted {report.inserted}, cập nhật / updated {report.updated}, "
        f"không đổi / unchanged {report.unchanged} ({report.seconds:.1f} s)"
    )
    return report


def _insert(session: Session, table: type[Place] | type[PlaceSuccessor], rows: Iterable[dict[str, Any]]) -> None:
    batch = list(rows)
    for start in range(0, len(batch), 2000):
        session.execute(insert(table), batch[start : start + 2000])
