"""`tgpl villages ...`: the village registry (import, propose, list, confirm, merge, rename, retire)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from sqlmodel import Session

from server.cli.context import JsonOption, context, emit, fail
from server.core.errors import TgplError
from server.core.models import Village
from server.places import villages as registry
from server.places.village_import import import_villages

app = typer.Typer(help="The village registry: thôn, bản, tổ dân phố.", no_args_is_help=True)


def _row(session: Session, village: Village, max_meters: float | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": village.id,
        "code": village.code,
        "name": village.name,
        "commune_code": village.commune_code,
        "old_commune_code": village.old_commune_code,
        "lat": village.lat,
        "lon": village.lon,
        "status": village.status,
        "source": village.source,
    }
    if village.status == "merged":
        row["survivor"] = registry.survivor(session, village).code
    if max_meters is not None and village.status == "proposed":
        row["duplicates"] = [
            {
                "code": s.village.code,
                "name": s.village.name,
                "status": s.village.status,
                "similarity": round(s.similarity, 2),
                "distance_m": None if s.distance_m is None else round(s.distance_m),
            }
            for s in registry.suggest_duplicates(session, village, max_meters=max_meters)
        ]
    return row


def _text(row: dict[str, Any]) -> str:
    line = f"{row['id']}\t{row['code']}\t{row['status']}\t{row['name']}\t{row['commune_code']}"
    if row.get("survivor"):
        line += f"\t→ {row['survivor']}"
    for dup in row.get("duplicates", []):
        distance = "?" if dup["distance_m"] is None else f"{dup['distance_m']} m"
        line += f"\n\tcó thể trùng / may duplicate {dup['code']} {dup['name']} ({dup['similarity']}, {distance})"
    return line


def _run(as_json: bool, action: Any) -> None:
    ctx = context()
    try:
        with ctx.session() as session:
            row = _row(session, action(session), ctx.settings.village_match_meters)
    except TgplError as error:
        raise fail(error, as_json) from error
    except ValueError as error:
        typer.secho(f"Lỗi / Error: {error}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from error
    emit(as_json, row, _text(row))


@app.command("import")
def import_(path: Path = typer.Argument(..., exists=True, dir_okay=False), as_json: bool = JsonOption) -> None:
    """Import a CSV (commune_code, name[, lat, lon, code, status]); bad lines are reported, good ones kept."""
    ctx = context()
    try:
        with ctx.session() as session:
            report = import_villages(session=session, data=path.read_bytes(), source_ref=path.name)
    except TgplError as error:
        raise fail(error, as_json) from error
    data = {
        "added": report.added,
        "already": report.already,
        "errors": [{"line": line, "message": message} for line, message in report.errors],
    }
    lines = [
        f"thêm / added {len(report.added)}, đã có / already there {len(report.already)}, "
        f"lỗi / errors {len(report.errors)}"
    ]
    lines += [f"  dòng / line {line}: {message}" for line, message in report.errors]
    emit(as_json, data, "\n".join(lines))
    if report.errors and not (report.added or report.already):
        raise typer.Exit(1)


@app.command("propose")
def propose(
    commune: str = typer.Option(..., help="Commune code (2025, or pre-2025 when it is not a 2025 code)."),
    name: str = typer.Option(...),
    old_commune: str | None = typer.Option(None, help="The pre-2025 commune it belonged to, when known."),
    lat: float | None = typer.Option(None),
    lon: float | None = typer.Option(None),
    as_json: bool = JsonOption,
) -> None:
    """Propose a village not yet listed (as a phone does); shows the villages it may duplicate."""
    _run(
        as_json,
        lambda s: registry.add_village(
            session=s, commune_code=commune, old_commune_code=old_commune, name=name, lat=lat, lon=lon
        ),
    )


@app.command("list")
def list_(
    commune: str | None = typer.Option(None, help="Commune code (either structure)."),
    status: str | None = typer.Option(None, help="proposed, confirmed, merged or retired."),
    no_old_commune: bool = typer.Option(False, "--no-old-commune", help="Only villages without a pre-2025 commune."),
    as_json: bool = JsonOption,
) -> None:
    """Villages, with suggested duplicates for proposals."""
    ctx = context()
    try:
        with ctx.session() as session:
            rows = [
                _row(session, v, ctx.settings.village_match_meters)
                for v in registry.list_villages(session, commune_code=commune, status=status)
                if not (no_old_commune and v.old_commune_code)
            ]
    except TgplError as error:
        raise fail(error, as_json) from error
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    emit(as_json, rows, "\n".join(_text(r) for r in rows) or "(no villages)")


@app.command("confirm")
def confirm(village: str, as_json: bool = JsonOption) -> None:
    """Confirm a proposed village (id or code): phones get it at their next form update."""
    _run(as_json, lambda s: registry.confirm(session=s, ref=village))


@app.command("merge")
def merge(village: str, into: str = typer.Option(..., "--into"), as_json: bool = JsonOption) -> None:
    """Merge a village into another of the same commune; its records count for the survivor."""
    _run(as_json, lambda s: registry.merge(session=s, ref=village, into=into))


@app.command("assign-old")
def assign_old(village: str, old_commune: str, as_json: bool = JsonOption) -> None:
    """Give a village its pre-2025 commune (its records then count there in the old structure)."""
    _run(as_json, lambda s: registry.assign_old_commune(session=s, ref=village, old_commune_code=old_commune))


@app.command("rename")
def rename(village: str, name: str, as_json: bool = JsonOption) -> None:
    """Correct a village's name (its code stays)."""
    _run(as_json, lambda s: registry.rename(session=s, ref=village, name=name))


@app.command("retire")
def retire(village: str, as_json: bool = JsonOption) -> None:
    """Take a village out of the picker; its records stay."""
    _run(as_json, lambda s: registry.retire(session=s, ref=village))
