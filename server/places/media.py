"""Form media generated from the gazetteer: the commune and village lists behind select_one_from_file pickers."""

from __future__ import annotations

import csv
import io
from collections import defaultdict

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from server.core.models import Place, PlaceSuccessor, Village

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
    query = sa_select(
        col(Place.scheme),
        col(Place.level),
        col(Place.code),
        col(Place.name),
        col(Place.parent_code),
        col(Place.province_code),
    ).where(col(Place.level).in_(("commune", "district")))
    units = [
        (str(s), str(lv), str(c), str(n), None if p is None else str(p), str(pr))
        for s, lv, c, n, p, pr in session.execute(query)
    ]
    district_of: dict[str, str | None] = {
        code: parent for scheme, level, code, _, parent, _ in units if scheme == "old" and level == "commune"
    }
    district_names: dict[str, str] = {
        code: name for scheme, level, code, name, _, _ in units if scheme == "old" and level == "district"
    }
    origins: dict[str, set[str]] = defaultdict(set)
    for old_code, new_code in session.exec(select(PlaceSuccessor.old_code, PlaceSuccessor.new_code)).all():
        origins[new_code].add(district_of.get(old_code) or old_code)  # island districts had no communes
    rows: list[list[str]] = []
    for scheme, level, code, name, _, province in sorted(units, key=lambda u: u[2]):
        if scheme == "new" and level == "commune":
            districts = sorted(c for c in origins.get(code, set()) if c in district_names)
            rows.append([code, name, province, " ".join(districts), "; ".join(district_names[c] for c in districts)])
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
