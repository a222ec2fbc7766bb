"""`tgpl map`: the coverage map as one self-contained HTML file (opens offline, can be sent by e-mail or Zalo)."""

from __future__ import annotations

from pathlib import Path

import typer

from server.cli.context import JsonOption, context, emit, fail, parse_period_days
from server.core.errors import TgplError
from server.places.coverage import coverage


def map_command(
    start: str = typer.Option(..., "--from", help="First day of the period (YYYY-MM-DD)."),
    end: str = typer.Option(..., "--to", help="Last day of the period (YYYY-MM-DD)."),
    out: Path = typer.Option(..., "--out", dir_okay=False, help="The HTML file to write."),
    area: str | None = typer.Option(None, help="A province, district or commune code of the structure."),
    scheme: str = typer.Option("new", help="new (2025 communes) or old (pre-2025 districts and communes)."),
    lang: str = typer.Option("vi", help="vi or en."),
    as_json: bool = JsonOption,
) -> None:
    """Write the coverage map of a period (scripts and styles inlined; only base tiles need the internet)."""
    first, last = parse_period_days(start, end)
    ctx = context()
    try:
        with ctx.session() as session:
            cov = coverage(session, start=first, end=last, scheme=scheme, area_code=area, stale_days=90)
    except TgplError as error:
        raise fail(error, as_json) from error
    from maps import standalone_html  # folium is only needed here

    html = standalone_html(cov, lang=lang)
    out.write_text(html, encoding="utf-8")
    emit(as_json, {"out": str(out.resolve()), "bytes": len(html.encode()), "communes": len(cov.communes),
                   "villages": len(cov.villages), "sessions": len(cov.sessions)}, str(out))  # fmt: skip
