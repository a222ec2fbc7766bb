"""`tgpl report`: periodic reports (the directive review now; Biểu 24 and 25 follow) as XLSX or CSV."""

from __future__ import annotations

from pathlib import Path

import typer

from exports.report_files import report_csv, report_xlsx
from server.cli.context import JsonOption, context, emit, fail
from server.errors import TgplError
from server.periods import RULES, parse_period
from server.reports import directive_review

app = typer.Typer(help="Periodic reports.", no_args_is_help=True)


@app.command("directive")
def directive(
    period: str = typer.Option(..., help="YYYY, YYYY-H1/H2 or YYYY-Q1..Q4."),
    rule: str = typer.Option("work", help=f"Cut-off rule: {', '.join(RULES)} (work = Decree 09/2019)."),
    province: str | None = typer.Option(None, help="Pre-2025 province code for the district table (default all)."),
    out: Path = typer.Option(..., "--out", dir_okay=False, help="FILE.xlsx or FILE.csv"),
    as_json: bool = JsonOption,
) -> None:
    """The directive review: sessions, participants, places reached and not reached, by district and by commune."""
    try:
        chosen = parse_period(period, rule)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    if out.suffix.lower() not in (".xlsx", ".csv"):
        raise typer.BadParameter("--out must end in .xlsx or .csv")
    ctx = context()
    try:
        with ctx.session() as session:
            report = directive_review(session, period=chosen, province=province)
    except TgplError as error:
        raise fail(error, as_json) from error
    out.write_bytes(report_xlsx(report) if out.suffix.lower() == ".xlsx" else report_csv(report))
    data = {"out": str(out.resolve()), "period": chosen.label, "from": chosen.start.isoformat(),
            "to": chosen.end.isoformat(), "rule": chosen.rule, "lines": report.lines,
            "tables": {s.title: len(s.rows) for s in report.sheets}}  # fmt: skip
    emit(as_json, data, "\n".join([str(out), *report.lines]))
