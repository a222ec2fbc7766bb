"""`tgpl export csv`: a form's submissions as ODK Central's CSV zip (one table per repeat, media optional)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from sqlmodel import Session

from exports import write_csv_zip
from exports.geojson import sessions_geojson, villages_geojson
from exports.policy import CENTRAL
from exports.xlsx_export import write_xlsx
from server.cli.context import JsonOption, context, emit, fail, parse_day, parse_period_days
from server.core.errors import TgplError
from server.places.areas import area_of, area_reach
from server.places.coverage import coverage
from server.publishing.forms import get_form
from server.submissions.deidentify import deidentified_policy
from server.submissions.export import ExportFilter, count, export_submissions, export_xform, media_of

app = typer.Typer(help="Exports of submissions.", no_args_is_help=True)


FromOption = typer.Option(None, "--from", help="First event date (YYYY-MM-DD).")
ToOption = typer.Option(None, "--to", help="Last event date (YYYY-MM-DD).")
AreaOption = typer.Option(None, help="A province, district or commune code.")
SchemeOption = typer.Option("new", help="The structure of --area: new (2025) or old.")
ReviewOption = typer.Option(None, help="received, hasIssues, approved, rejected or edited.")
DEIDENTIFIED_HELP = (
    "Leave out identifying fields and all derived from them, submitters, devices, villages and media; dates as months."
)


def _filters(
    session: Session, start: str | None, end: str | None, area: str | None, scheme: str, review_state: str | None
) -> ExportFilter:
    """The export filters from the command's options (an area holds the records placed in it in its own structure)."""
    reach = area_reach(session, area_of(session, scheme, area)) if area else None
    return ExportFilter(parse_day(start), parse_day(end), reach, review_state)


@app.command("csv")
def csv_zip(
    form_id: str,
    out: Path = typer.Option(..., "--out", dir_okay=False, help="The .zip file to write."),
    start: str | None = FromOption,
    end: str | None = ToOption,
    area: str | None = AreaOption,
    scheme: str = SchemeOption,
    review_state: str | None = ReviewOption,
    attachments: bool = typer.Option(True, "--attachments/--no-attachments", help="Include media/ (default yes)."),
    split_select_multiples: bool = typer.Option(False, "--split-select-multiples"),
    group_paths: bool = typer.Option(True, "--group-paths/--no-group-paths"),
    bom: bool = typer.Option(True, "--bom/--no-bom", help="UTF-8 BOM so that Excel reads Vietnamese (default yes)."),
    deidentified: bool = typer.Option(False, "--deidentified", help=DEIDENTIFIED_HELP),
    as_json: bool = JsonOption,
) -> None:
    """Write the current versions of a form's submissions as Central's CSV zip; values verbatim from the XML."""
    ctx = context()
    try:
        with ctx.session() as session:
            filters = _filters(session, start, end, area, scheme, review_state)
            xform, total = export_xform(session, form_id), count(session, form_id)
            policy = deidentified_policy(form_id, xform) if deidentified else CENTRAL
            attachments = attachments and policy.media
            media = media_of(session, ctx.store, get_form(session, form_id).id) if attachments else {}  # type: ignore[arg-type]
            with out.open("wb") as target, typer.progressbar(length=total, label="export", file=None,
                                                            hidden=as_json) as bar:  # fmt: skip
                stats = write_csv_zip(
                    target, xform=xform, submissions=export_submissions(session, ctx.store, xml_form_id=form_id,
                                                                        filters=filters, deidentified=deidentified),
                    group_paths=group_paths, split_select_multiples=split_select_multiples, bom=bom,
                    attachments=(lambda s: [(n, ctx.store.path(h).open("rb")) for n, h in media.get(s.instance_id, [])])
                    if attachments else None,
                    progress=lambda done: bar.update(done - bar.pos),
                    policy=policy,
                )  # fmt: skip
    except TgplError as error:
        raise fail(error, as_json) from error
    data = {"out": str(out.resolve()), "submissions": stats.submissions, "rows": dict(stats.rows),
            "media_files": stats.media_files, "unreadable": list(stats.unreadable)}  # fmt: skip
    emit(as_json, data, f"{out}: {stats.submissions} submissions, {stats.media_files} media files")


@app.command("geojson")
def geojson(
    what: str = typer.Argument(..., help="villages or sessions"),
    out: Path = typer.Option(..., "--out", dir_okay=False, help="The .geojson file to write."),
    start: str = typer.Option(..., "--from", help="First day (YYYY-MM-DD)."),
    end: str = typer.Option(..., "--to", help="Last day (YYYY-MM-DD)."),
    area: str | None = typer.Option(None, help="A province, district or commune code."),
    scheme: str = typer.Option("new", help="new (2025) or old."),
    as_json: bool = JsonOption,
) -> None:
    """Villages (codes, names, counts) or session points of a period as GeoJSON, for QGIS."""
    if what not in ("villages", "sessions"):
        raise typer.BadParameter("villages or sessions")
    first, last = parse_period_days(start, end)
    ctx = context()
    try:
        with ctx.session() as session:
            cov = coverage(session, start=first, end=last, scheme=scheme, area_code=area)
    except TgplError as error:
        raise fail(error, as_json) from error
    data = villages_geojson(cov) if what == "villages" else sessions_geojson(cov)
    out.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    emit(as_json, {"out": str(out.resolve()), "features": len(data["features"])}, str(out))


@app.command("xlsx")
def xlsx(
    form_id: str,
    out: Path = typer.Option(..., "--out", dir_okay=False, help="The .xlsx file to write."),
    start: str | None = FromOption,
    end: str | None = ToOption,
    area: str | None = AreaOption,
    scheme: str = SchemeOption,
    review_state: str | None = ReviewOption,
    deidentified: bool = typer.Option(False, "--deidentified", help=DEIDENTIFIED_HELP),
    as_json: bool = JsonOption,
) -> None:
    """The submissions as an XLSX workbook: a sheet per table, labels as a second header row."""
    ctx = context()
    try:
        with ctx.session() as session:
            filters = _filters(session, start, end, area, scheme, review_state)
            xform = export_xform(session, form_id)
            with out.open("wb") as target:
                written = write_xlsx(
                    target, xform=xform,
                    submissions=export_submissions(session, ctx.store, xml_form_id=form_id, filters=filters,
                                                   deidentified=deidentified),
                    policy=deidentified_policy(form_id, xform) if deidentified else CENTRAL,
                )  # fmt: skip
    except TgplError as error:
        raise fail(error, as_json) from error
    emit(as_json, {"out": str(out.resolve()), "submissions": written}, f"{out}: {written} submissions")
