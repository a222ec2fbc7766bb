"""The `tgpl` command line: the contract scripts and administrators rely on (every command has --json)."""

from __future__ import annotations

import typer

from server.cli import app_users, export, forms, gazetteer, report, setup, users, villages
from server.cli.context import JsonOption, context, emit, fail
from server.cli.coverage import coverage_command
from server.cli.map import map_command
from server.core.errors import TgplError
from server.submissions.queries import count_submissions

app = typer.Typer(help="tgpl: field data for mobile legal aid.", no_args_is_help=True, add_completion=False)
app.command("init")(setup.init)
app.command("serve")(setup.serve)
app.command("coverage")(coverage_command)
app.command("map")(map_command)
app.add_typer(forms.app, name="forms")
app.add_typer(app_users.app, name="app-users")
app.add_typer(gazetteer.app, name="gazetteer")
app.add_typer(villages.app, name="villages")
app.add_typer(users.app, name="users")
app.add_typer(export.app, name="export")
app.add_typer(report.app, name="report")
submissions = typer.Typer(help="Look at stored submissions.", no_args_is_help=True)
app.add_typer(submissions, name="submissions")


@submissions.command("count")
def count(form_id: str | None = typer.Argument(None), as_json: bool = JsonOption) -> None:
    """How many submissions are stored (each once, whatever the resends and edits)."""
    ctx = context()
    try:
        with ctx.session() as session:
            total = count_submissions(session, form_id)
    except TgplError as error:
        raise fail(error, as_json) from error
    emit(as_json, {"form_id": form_id, "count": total}, str(total))
