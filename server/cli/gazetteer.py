"""`tgpl gazetteer ...`: load official units, count them, search them, attach boundaries."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import typer
from sqlalchemy import func
from sqlmodel import select

from server.cli.context import JsonOption, context, emit, fail
from server.core.errors import TgplError
from server.core.models import Place, Village
from server.places.geo import load_boundaries
from server.places.load import load_gazetteer
from server.places.search import search as search_places

app = typer.Typer(help="Official administrative units (pre-2025 and 2025 structures).", no_args_is_help=True)


@app.command("load")
def load(
    province: list[str] = typer.Option(
        [], "--province", help="Pre-2025 province code (repeatable); default TGPL_GAZETTEER_PROVINCES, '*' = all."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Load the units of a scope and the 2025 old→new mapping from vietnamadminunits (safe to run again)."""
    ctx = context()
    codes = province or ctx.settings.provinces
    codes = None if codes is not None and "*" in codes else codes

    def progress(line: str) -> None:
        if not as_json:
            typer.echo(line)

    try:
        with ctx.session() as session:
            report = load_gazetteer(session=session, provinces=codes, progress=progress)
    except TgplError as error:
        raise fail(error, as_json) from error
    if as_json:
        emit(True, {"provinces": codes or "*", **dataclasses.asdict(report)}, "")


@app.command("stats")
def stats(as_json: bool = JsonOption) -> None:
    """How many units are loaded, per structure and level, and villages per status."""
    ctx = context()
    try:
        with ctx.session() as session:
            places = session.exec(
                select(Place.scheme, Place.level, func.count()).group_by(Place.scheme, Place.level)
            ).all()
            villages = session.exec(select(Village.status, func.count()).group_by(Village.status)).all()
    except TgplError as error:
        raise fail(error, as_json) from error
    data = {
        "places": {f"{scheme} {level}": count for scheme, level, count in sorted(places)},
        "villages": dict(sorted(villages)),
    }
    lines = [f"{k}\t{v}" for k, v in data["places"].items()] + [
        f"villages {k}\t{v}" for k, v in data["villages"].items()
    ]
    emit(as_json, data, "\n".join(lines) or "(empty: run tgpl gazetteer load)")


@app.command("search")
def search(
    text: str,
    scheme: str | None = typer.Option(None, help="old or new: only units of that structure."),
    limit: int = typer.Option(20, min=1, max=500),
    as_json: bool = JsonOption,
) -> None:
    """Find units and villages by any spelling: 'na ri', 'Nà Pài', 'ban na pai'."""
    ctx = context()
    try:
        with ctx.session() as session:
            hits = search_places(session, text, scheme=scheme, limit=limit)
    except TgplError as error:
        raise fail(error, as_json) from error
    rows = [dataclasses.asdict(hit) for hit in hits]
    lines = [
        f"{h.code}\t{h.scheme}\t{h.level}\t{h.name}\t{h.context}" + (f"\t[{h.status}]" if h.status else "")
        for h in hits
    ]
    emit(as_json, rows, "\n".join(lines) or "(no match)")


@app.command("boundaries")
def boundaries(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="A GeoJSON FeatureCollection of polygons."),
    scheme: str = typer.Option(..., help="old or new: which structure's codes the file uses."),
    code_property: str = typer.Option("code", help="The feature property holding the unit code."),
    as_json: bool = JsonOption,
) -> None:
    """Attach boundary polygons to loaded units by code (used by maps and the GPS check)."""
    if scheme not in ("old", "new"):
        raise typer.BadParameter("scheme must be old or new")
    ctx = context()
    try:
        with ctx.session() as session:
            report = load_boundaries(
                session=session, geojson=path.read_text(encoding="utf-8"), scheme=scheme, code_property=code_property
            )
    except TgplError as error:
        raise fail(error, as_json) from error
    text = f"matched {report.matched}; unmatched {len(report.unmatched)}; invalid {len(report.invalid)}"
    if report.villages_placed:
        text += f"\n  villages given their old commune: {' '.join(report.villages_placed[:50])}"
    if report.unmatched:
        text += f"\n  unmatched codes: {' '.join(report.unmatched[:50])}"
    if report.invalid:
        text += f"\n  invalid geometries: {' '.join(report.invalid[:50])}"
    emit(as_json, dataclasses.asdict(report), text)
