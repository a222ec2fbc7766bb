"""Importing a province's village list from CSV: good rows are kept, bad rows reported with their line number."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from sqlmodel import Session, select

from server.errors import TgplError
from server.gazetteer.names import name_key, nfc
from server.gazetteer.villages import add_village, resolve_commune
from server.models import Village

REQUIRED = ("commune_code", "name")
OPTIONAL = ("lat", "lon", "code", "status")


@dataclass
class ImportReport:
    """The outcome of an import, line by line."""

    added: list[str] = field(default_factory=list)  # codes of the villages added
    already: list[str] = field(default_factory=list)  # codes of villages that were already in the registry
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, what is wrong)


def import_villages(*, session: Session, data: bytes, source_ref: str, actor: str = "cli") -> ImportReport:
    """Import villages from UTF-8 CSV with columns commune_code, name[, lat, lon, code, status]."""
    report = ImportReport()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        report.errors.append((1, f"the file is not UTF-8 ({error}); save it as 'CSV UTF-8'"))
        return report
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        report.errors.append((1, f"missing column(s): {', '.join(missing)}"))
        return report
    for row in reader:
        line = reader.line_num
        try:
            code = _import_row(session, row, f"{source_ref}:{line}", actor)
        except (TgplError, ValueError) as error:
            session.rollback()
            report.errors.append((line, error.en if isinstance(error, TgplError) else str(error)))
            continue
        (report.added if code[1] else report.already).append(code[0])
    return report


def _import_row(session: Session, row: dict[str, str | None], ref: str, actor: str) -> tuple[str, bool]:
    values = {k: (row.get(k) or "").strip() for k in (*REQUIRED, *OPTIONAL)}
    if not values["commune_code"] or not values["name"]:
        raise ValueError("commune_code and name are required")
    lat, lon = _coordinate(values["lat"], "lat"), _coordinate(values["lon"], "lon")
    status = values["status"] or "confirmed"
    commune, _old = resolve_commune(session, values["commune_code"])
    key = name_key(nfc(values["name"]))
    same = session.exec(
        select(Village).where(Village.commune_code == commune.code, Village.name_key == key, Village.status != "merged")
    ).first()
    if values["code"]:
        by_code = session.exec(select(Village).where(Village.code == values["code"])).first()
        if by_code is not None:
            if by_code.commune_code == commune.code and by_code.name_key == key:
                return by_code.code, False
            raise ValueError(f"code {values['code']} is already used by {by_code.name} ({by_code.commune_code})")
    elif same is not None:
        return same.code, False
    village = add_village(
        session=session,
        commune_code=values["commune_code"],
        name=values["name"],
        lat=lat,
        lon=lon,
        status=status,
        source="import",
        source_ref=ref,
        code=values["code"] or None,
        actor=actor,
    )
    return village.code, True


def _coordinate(value: str, name: str) -> float | None:
    if not value:
        return None
    try:
        return float(value.replace(",", "."))
    except ValueError as error:
        raise ValueError(f"{name} is not a number: {value!r}") from error
