"""Importing a province's village list from CSV: good rows are kept, bad rows reported with their line number."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from server.core.errors import TgplError
from server.core.models import Place, Village
from server.places.names import nfc
from server.places.villages import add_village, find_commune, resolve_commune

REQUIRED = ("name",)
PLACE = ("commune_code", "commune_2025", "commune_old")  # at least one
OPTIONAL = ("old_commune_code", "scheme", "lat", "lon", "code", "status")


@dataclass
class ImportReport:
    """The outcome of an import, line by line."""

    added: list[str] = field(default_factory=list)  # codes of the villages added
    already: list[str] = field(default_factory=list)  # codes of villages that were already in the registry
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, what is wrong)


def import_villages(*, session: Session, data: bytes, source_ref: str, actor: str = "cli") -> ImportReport:
    """Import villages from UTF-8 CSV (comma, semicolon or tab separated, as Excel writes it) with columns
    commune_code, name[, old_commune_code, lat, lon, code, status]."""
    report = ImportReport()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        report.errors.append((1, f"the file is not UTF-8 ({error}); save it as 'CSV UTF-8'"))
        return report
    if "\x00" in text:
        report.errors.append((1, "the file holds NUL characters: it is not a text CSV file"))
        return report
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    else:
        dialect.doublequote = True  # the sniffer reads only the header line, where no quote is doubled
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    reader.fieldnames = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in reader.fieldnames]
    if not any(c in reader.fieldnames for c in PLACE):
        missing.append(" or ".join(PLACE))
    if missing:
        report.errors.append((1, f"missing column(s): {', '.join(missing)}"))
        return report
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            report.errors.append((reader.line_num, f"unreadable CSV: {error}"))
            break
        line = reader.line_num
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue  # a blank line
        try:
            code, added = _import_row(session, row, f"{source_ref}:{line}", actor)
        except (TgplError, ValueError, SQLAlchemyError) as error:
            session.rollback()
            message = error.en if isinstance(error, TgplError) else str(error).splitlines()[0]
            report.errors.append((line, message))
            continue
        (report.added if added else report.already).append(code)
    return report


def _import_row(session: Session, row: dict[str, str | None], ref: str, actor: str) -> tuple[str, bool]:
    values = {k: (row.get(k) or "").strip() for k in (*REQUIRED, *PLACE, *OPTIONAL)}
    if not values["name"] or not any(values[k] for k in PLACE):
        raise ValueError("a name and a commune (commune_code, commune_2025 or commune_old) are required")
    commune, old = _place(session, values)
    name = nfc(values["name"])
    if values["code"]:
        known = session.exec(select(Village).where(Village.code == values["code"])).first()
        if known is not None and known.commune_code == commune.code and known.name == name:
            return known.code, False
    else:
        # The same village imported again: same commune, same name as written, same pre-2025 commune when known.
        for known in session.exec(select(Village).where(Village.commune_code == commune.code)).all():
            if (
                known.status != "merged"
                and known.name.casefold() == name.casefold()
                and old in (None, known.old_commune_code)
            ):
                return known.code, False
    village = add_village(
        session=session, commune_code=commune.code, old_commune_code=old, name=name,
        lat=_coordinate(values["lat"], "lat"), lon=_coordinate(values["lon"], "lon"),
        status=values["status"] or "confirmed", source="import", source_ref=ref, code=values["code"] or None,
        actor=actor,
    )  # fmt: skip
    return village.code, True


def _place(session: Session, values: dict[str, str]) -> tuple[Place, str | None]:
    """The line's 2025 commune and pre-2025 commune. A commune_code that exists in both structures (each 2025
    commune kept one predecessor's code) is refused unless the line says which: a `scheme` column (new or old), the
    separate commune_2025 / commune_old columns, or an old_commune_code beside it."""
    new_code = _code(values["commune_2025"]) or None
    old_code = _code(values["commune_old"] or values["old_commune_code"]) or None
    code, scheme = _code(values["commune_code"]), values["scheme"].lower()
    if scheme not in ("", "new", "old"):
        raise ValueError(f"scheme must be new (2025) or old (pre-2025), not {values['scheme']!r}")
    if code and scheme == "old":
        old_code = old_code or code
    elif code and (scheme == "new" or old_code is not None):
        new_code = new_code or code
    elif code:
        in_new, in_old = (find_commune(session, scheme, code) for scheme in ("new", "old"))
        if in_new and in_old:
            raise ValueError(
                f"commune code {code} exists in both structures (2025: {in_new.name}; pre-2025: {in_old.name}): "
                "say which with a scheme column (new or old), or use the columns commune_2025 and commune_old"
            )
        new_code, old_code = (code, None) if in_new else (None, code)
    if new_code is not None:
        return resolve_commune(session, new_code, old_code)
    assert old_code is not None
    return resolve_commune(session, old_code, scheme="old")


def _code(value: str) -> str:
    """Excel drops leading zeros: 1864 means commune 01864."""
    return value.zfill(5) if value.isdigit() and len(value) < 5 else value


def _coordinate(value: str, name: str) -> float | None:
    if not value:
        return None
    try:
        return float(value.replace(",", "."))
    except ValueError as error:
        raise ValueError(f"{name} is not a number: {value!r}") from error
