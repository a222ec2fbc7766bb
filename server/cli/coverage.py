"""`tgpl coverage`: which villages, communes and districts the sessions reached in a period."""

from __future__ import annotations

import typer

from server.cli.context import JsonOption, context, emit, fail, parse_period_days
from server.core.errors import TgplError
from server.places.coverage import coverage as compute
from server.places.coverage import report as coverage_report
from server.places.gps_check import gps_flags

FromOption = typer.Option(..., "--from", help="First day of the period (YYYY-MM-DD).")
ToOption = typer.Option(..., "--to", help="Last day of the period (YYYY-MM-DD).")


def coverage_command(
    start: str = FromOption,
    end: str = ToOption,
    area: str | None = typer.Option(None, help="A province, district or commune code of the chosen structure."),
    scheme: str = typer.Option("new", help="new (2025 communes) or old (pre-2025 districts and communes)."),
    stale_days: int | None = typer.Option(None, help="Also list places not reached for this many days."),
    as_json: bool = JsonOption,
) -> None:
    """Coverage rows for a period: sessions, participants and people helped per village, commune, district."""
    first, last = parse_period_days(start, end)
    if scheme not in ("old", "new"):
        raise typer.BadParameter("scheme is old or new")
    ctx = context()
    try:
        with ctx.session() as session:
            cov = compute(session, start=first, end=last, scheme=scheme, area_code=area, stale_days=stale_days)
            flags = gps_flags(session, start=first, end=last)
    except TgplError as error:
        raise fail(error, as_json) from error
    report = coverage_report(cov, flags)
    lines = [
        f"{cov.area_name or 'all'} {first}..{last} ({scheme}): communes reached {cov.communes_reached_share:.0%}, "
        f"villages reached {cov.villages_reached_share:.0%}",
        *(f"{r.code}\t{r.name}\t{r.counts.sessions} sessions\t{r.counts.participants} participants"
          f"\t{'last ' + str(r.last_session) if r.last_session else 'never'}" for r in [*cov.districts, *cov.communes]),
        *(f"GPS: submission {f.submission_id} {f.session_date} {', '.join(f.reasons)}" for f in flags),
    ]  # fmt: skip
    emit(as_json, report, "\n".join(lines))
