"""Downloads: submissions (CSV zip in Central's layout, XLSX), periodic reports, codebooks."""

from __future__ import annotations

import io
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from exports.byte_stream import stream_writes
from exports.policy import CENTRAL
from exports.report_files import report_csv, report_xlsx
from exports.xlsx_export import write_xlsx
from forms.codebook import build_codebook, to_markdown
from server.core.errors import BadRequest, NotFound
from server.core.periods import parse_period
from server.deps import EngineDep, SessionDep, StoreDep
from server.places.areas import user_reach
from server.places.reports import bieu24, bieu25, directive_review
from server.publishing.forms import current_version, get_form, list_forms
from server.submissions.deidentify import export_policy, may_export_rows
from server.submissions.export import ExportFilter, csv_zip_writer, export_submissions, export_xform, media_of
from server.web.security import AnyUser, ProvinceWide, Staff
from server.web.templating import page

router = APIRouter(include_in_schema=False)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/downloads", response_class=HTMLResponse)
def downloads(request: Request, user: AnyUser, session: SessionDep) -> HTMLResponse:
    """What can be downloaded: a viewer is offered no rows of a sensitive form, only where its aggregates are."""
    today = date.today()
    forms = [{"id": s.form.xml_form_id, "sensitive": s.form.sensitive,
              "rows": may_export_rows(user=user, sensitive=s.form.sensitive)} for s in list_forms(session)]  # fmt: skip
    return page(request, "downloads.html", user=user, forms=forms,
                period=f"{today.year}-H{1 if today.month <= 6 else 2}")  # fmt: skip


@router.get("/forms/{form_id}/submissions.csv.zip")
def csv_zip(form_id: str, user: AnyUser, session: SessionDep, store: StoreDep, engine: EngineDep,
            attachments: bool = False) -> Response:  # fmt: skip
    """The form's submissions (in the user's area) as Central's CSV zip, sent while it is written (the first bytes
    leave at once); viewers get a de-identified export without media, and none of a sensitive form."""
    xform = export_xform(session, form_id)  # an unknown form is refused before the response starts
    policy = export_policy(session, user=user, xml_form_id=form_id, xform=xform)  # and a viewer's sensitive form
    attachments = attachments and policy.media
    filters = ExportFilter(reach=user_reach(session, user))
    media = media_of(session, store, get_form(session, form_id).id) if attachments else {}  # type: ignore[arg-type]
    write = csv_zip_writer(
        engine=engine, store=store, xml_form_id=form_id, xform=xform, filters=filters, actor=f"web_user:{user.id}",
        attachments=(lambda s: [(n, store.path(h).open("rb")) for n, h in media.get(s.instance_id, [])])
        if attachments else None,
        policy=policy,
    )  # fmt: skip
    name = f"{form_id}.zip" if attachments else f"{form_id}.csv.zip"
    return StreamingResponse(stream_writes(write), media_type="application/zip",
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


@router.get("/forms/{form_id}/submissions.xlsx")
def xlsx(form_id: str, user: AnyUser, session: SessionDep, store: StoreDep) -> Response:
    """The form's submissions (in the user's area) as XLSX; de-identified for viewers, and none of a sensitive form."""
    xform = export_xform(session, form_id)
    policy = export_policy(session, user=user, xml_form_id=form_id, xform=xform)
    filters = ExportFilter(reach=user_reach(session, user))
    out = io.BytesIO()
    write_xlsx(out, xform=xform,
               submissions=export_submissions(session, store, xml_form_id=form_id, filters=filters,
                                              actor=f"web_user:{user.id}", deidentified=policy != CENTRAL),
               policy=policy)  # fmt: skip
    return Response(out.getvalue(), media_type=XLSX_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{form_id}.xlsx"'})  # fmt: skip


@router.get("/reports/{name}.{extension}")
def report(request: Request, name: str, extension: str, user: ProvinceWide, session: SessionDep,
           period: str = "", rule: str = "") -> Response:  # fmt: skip
    """Biểu 24, Biểu 25 or the directive review for a period, as XLSX or CSV, for users not limited to an area;
    a viewer's counts of people are protected (reports._protected)."""
    if name not in ("bieu24", "bieu25", "directive") or extension not in ("xlsx", "csv"):
        raise NotFound("Không có báo cáo này.", "No such report.")
    default_rule = "work" if name == "directive" else "stat"
    try:
        chosen = parse_period(period or f"{date.today().year}-H{1 if date.today().month <= 6 else 2}",
                              rule or default_rule)  # fmt: skip
    except ValueError as error:
        raise BadRequest(
            "Kỳ báo cáo không hợp lệ: dùng YYYY, YYYY-H1/H2 hoặc YYYY-Q1..Q4; quy tắc work, stat hoặc stat-official.",
            str(error),
        ) from error
    built = {"bieu24": bieu24, "bieu25": bieu25}.get(name)
    viewer = user.role == "viewer"
    result = (
        built(session, period=chosen, viewer=viewer)
        if built
        else directive_review(session, period=chosen, viewer=viewer)
    )
    body, media = (report_xlsx(result), XLSX_TYPE) if extension == "xlsx" else (report_csv(result), "text/csv")
    filename = f"{name}-{chosen.label}.{extension}"
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/forms/{form_id}/codebook.md")
def codebook(form_id: str, user: Staff, session: SessionDep) -> Response:
    """A form's codebook as Markdown."""
    version = current_version(session, get_form(session, form_id))
    assert version is not None
    return Response(to_markdown(build_codebook(version.xml)), media_type="text/markdown; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{form_id}-codebook.md"'})  # fmt: skip
