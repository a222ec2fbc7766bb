"""Form media generated from the gazetteer: the commune and village lists behind select_one_from_file pickers."""

from __future__ import annotations

import csv
import io
from collections import defaultdict

from sqlmodel import Session, select

from server.models import Place, PlaceSuccessor, Village

DATASETS = {"communes.csv": "communes", "villages.csv": "villages"}
NOT_LISTED = "khac"  # the choice a collaborator picks when the village is not in the list
NOT_LISTED_LABEL = "Thôn/bản/tổ chưa có trong danh sách (not in the list)"


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def communes_csv(session: Session) -> bytes:
    """New-structure communes: name = code, label, province, and the pre-2025 districts they were carved from."""
    places = session.exec(select(Place).where(Place.level.in_(("commune", "district")))).all()  # type: ignore[attr-defined]
    old_communes = {p.code: p for p in places if p.scheme == "old" and p.level == "commune"}
    districts = {p.code: p for p in places if p.scheme == "old" and p.level == "district"}
    origins: dict[str, set[str]] = defaultdict(set)
    for link in session.exec(select(PlaceSuccessor)).all():
        old = old_communes.get(link.old_code)
        origins[link.new_code].add(old.parent_code if old and old.parent_code else link.old_code)
    rows = []
    for commune in sorted((p for p in places if p.scheme == "new" and p.level == "commune"), key=lambda p: p.code):
        codes = sorted(c for c in origins.get(commune.code, set()) if c in districts)
        rows.append(
            [
                commune.code,
                commune.name,
                commune.province_code,
                " ".join(codes),
                "; ".join(districts[c].name for c in codes),
            ]
        )
    return _csv(["name", "label", "province", "districts", "district_names"], rows)


def villages_csv(session: Session) -> bytes:
    """Confirmed villages (name = stable code) by commune, plus one 'not in the list' choice per commune."""
    communes = session.exec(select(Place.code).where(Place.scheme == "new", Place.level == "commune")).all()
    villages = session.exec(select(Village).where(Village.status == "confirmed")).all()
    by_commune: dict[str, list[Village]] = defaultdict(list)
    for village in villages:
        by_commune[village.commune_code].append(village)
    rows = []
    for commune in sorted(set(communes) | set(by_commune)):
        for village in sorted(by_commune.get(commune, []), key=lambda v: (v.name_key, v.code)):
            rows.append([village.code, village.name, commune, village.old_commune_code or ""])
        rows.append([NOT_LISTED, NOT_LISTED_LABEL, commune, ""])
    return _csv(["name", "label", "commune", "old_commune"], rows)


def render(session: Session, dataset: str) -> bytes:
    """The current bytes of a generated media file."""
    if dataset == "communes":
        return communes_csv(session)
    if dataset == "villages":
        return villages_csv(session)
    raise ValueError(f"unknown dataset {dataset!r}")
