"""`tgpl coverage`: which villages, communes and districts the sessions reached in a period."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import typer

from server.cli.context import JsonOption, context, emit, fail
from server.coverage import Coverage, PlaceRow
from server.coverage import coverage as compute
from server.errors import TgplError
from server.gps_check import gps_flags

LEVELS = ("district", "commune", "village")
FromOption = typer.Option(..., "--from", help="First day of the period (YYYY-MM-DD).")
ToOption = typer.Option(..., "--to", help="Last day of the period (YYYY-MM-DD).")


def coverage_report(cov: Coverage, flags: list[Any]) -> dict[str, Any]:
    """The coverage as plain data (what --json prints, and what the JSON API returns)."""

    def rows(items: list[PlaceRow]) -> list[dict[str, Any]]:
        return [
            {**{k: v for k, v in dataclasses.asdict(r).items() if k != "boundary"}, "reached": r.reached} for r in items
        ]

    return {
        "from": cov.start.isoformat(), "to": cov.end.isoformat(), "scheme": cov.scheme, "area": cov.area_code,
        "area_name": cov.area_name, "communes_reached_share": round(cov.communes_reached_share, 4),
        "villages_reached_share": round(cov.villages_reached_share, 4),
        "districts": rows(cov.districts), "communes": rows(cov.communes), "villages": rows(cov.villages),
        "not_reached": {level: [r.code for r in cov.not_reached(level)] for level in LEVELS},
        "stale_days": cov.stale_days,
        "stale": {level: [r.code for r in cov.stale(level)] for level in LEVELS},
        "gps_flags": [dataclasses.asdict(f) for f in flags],
    }  # fmt: skip


def coverage_command(
    start: str = FromOption,
    end: str = ToOption,
    area: str | None = typer.Option(None, help="A province, district or commune code of the chosen structure."),
    scheme: str = typer.Option("new", help="new (2025 communes) or old (pre-2025 districts and communes)."),
    stale_days: int | None = typer.Option(None, help="Also list places not reached for this many days."),
    as_json: bool = JsonOption,
) -> None:
    """Coverage rows for a period: sessions, participants and people helped per village, commune, district."""
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError as error:
        raise typer.BadParameter(f"dates are YYYY-MM-DD: {error}") from error
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
