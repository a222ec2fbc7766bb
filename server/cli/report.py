"""`tgpl report`: periodic reports (Biểu 24, Biểu 25, the directive review) as XLSX or CSV."""

from __future__ import annotations

from pathlib import Path

import typer

from exports.report_files import Report, report_csv, report_xlsx
from server.cli.context import JsonOption, context, emit, fail
from server.core.errors import TgplError
from server.core.periods import RULES, Period, parse_period
from server.places.reports import bieu24, bieu25, directive_review

app = typer.Typer(help="Periodic reports.", no_args_is_help=True)


def _write(report: Report, chosen: Period, out: Path, as_json: bool) -> None:
    out.write_bytes(report_xlsx(report) if out.suffix.lower() == ".xlsx" else report_csv(report))
    data = {"out": str(out.resolve()), "period": chosen.label, "from": chosen.start.isoformat(),
            "to": chosen.end.isoformat(), "rule": chosen.rule, "lines": report.lines,
            "tables": {s.title: len(s.rows) for s in report.sheets}}  # fmt: skip
    emit(as_json, data, "\n".join([str(out), *report.lines]))


def _period(period: str, rule: str, out: Path) -> Period:
    try:
        chosen = parse_period(period, rule)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    if out.suffix.lower() not in (".xlsx", ".csv"):
        raise typer.BadParameter("--out must end in .xlsx or .csv")
    return chosen


def _statistics(which: str, period: str, rule: str, out: Path, as_json: bool) -> None:
    chosen = _period(period, rule, out)
    ctx = context()
    try:
        with ctx.session() as session:
            report = (bieu24 if which == "24" else bieu25)(session, period=chosen)
    except TgplError as error:
        raise fail(error, as_json) from error
    _write(report, chosen, out, as_json)


PeriodOption = typer.Option(..., help="YYYY, YYYY-H1/H2 or YYYY-Q1..Q4.")
OutOption = typer.Option(..., "--out", dir_okay=False, help="FILE.xlsx or FILE.csv")


@app.command("biểu24")
@app.command("bieu24", hidden=True)
def report_24(
    period: str = PeriodOption,
    rule: str = typer.Option("stat", help=f"Cut-off rule: {', '.join(RULES)} (stat = TT 03/2019)."),
    out: Path = OutOption,
    as_json: bool = JsonOption,
) -> None:
    """Biểu 24/BTP/TGPL: people helped by field of law and form of aid, by sex and beneficiary."""
    _statistics("24", period, rule, out, as_json)


@app.command("biểu25")
@app.command("bieu25", hidden=True)
def report_25(
    period: str = PeriodOption,
    rule: str = typer.Option("stat", help=f"Cut-off rule: {', '.join(RULES)} (stat = TT 03/2019)."),
    out: Path = OutOption,
    as_json: bool = JsonOption,
) -> None:
    """Biểu 25/BTP/TGPL: cases (requests accepted) by field of law and form of aid, by provider."""
    _statistics("25", period, rule, out, as_json)


@app.command("directive")
def directive(
    period: str = typer.Option(..., help="YYYY, YYYY-H1/H2 or YYYY-Q1..Q4."),
    rule: str = typer.Option("work", help=f"Cut-off rule: {', '.join(RULES)} (work = Decree 09/2019)."),
    province: str | None = typer.Option(None, help="Pre-2025 province code for the district table (default all)."),
    out: Path = typer.Option(..., "--out", dir_okay=False, help="FILE.xlsx or FILE.csv"),
    as_json: bool = JsonOption,
) -> None:
    """The directive review: sessions, participants, places reached and not reached, by district and by commune."""
    chosen = _period(period, rule, out)
    ctx = context()
    try:
        with ctx.session() as session:
            report = directive_review(session, period=chosen, province=province)
    except TgplError as error:
        raise fail(error, as_json) from error
    _write(report, chosen, out, as_json)
