"""`tgpl forms ...`: publish, list, close and mark sensitive forms."""

from __future__ import annotations

from pathlib import Path

import typer

from forms.codebook import build_codebook, to_csv, to_markdown
from server.cli.context import JsonOption, context, emit, fail, publish_xlsform
from server.core.errors import TgplError
from server.publishing.forms import current_version, get_form, list_forms, set_sensitive, set_state

app = typer.Typer(help="Publish, list, close and mark sensitive forms.", no_args_is_help=True)


@app.command("publish")
def publish(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="The XLSForm (.xlsx)."),
    media: list[Path] = typer.Option([], "--media", exists=True, dir_okay=False, help="A media file (repeatable)."),
    as_json: bool = JsonOption,
) -> None:
    """Build an XLSForm with pyxform, check it with ODK Validate and publish it with its media."""
    ctx = context()
    try:
        with ctx.session() as session:
            published, warnings = publish_xlsform(ctx, session, path, media)
    except TgplError as error:
        raise fail(error, as_json) from error
    data = {
        "form_id": published.form_id,
        "version": published.version,
        "title": published.title,
        "md5": published.md5,
        "media": list(published.media),
        "changed": published.changed,
        "warnings": warnings,
    }
    state = "published" if published.changed else "unchanged (this version is already published)"
    lines = [f"{published.form_id} {published.version}: {state}", *(f"  ! {w}" for w in warnings)]
    emit(as_json, data, "\n".join(lines))


@app.command("list")
def list_(as_json: bool = JsonOption) -> None:
    """Every form with its current version, state and sensitivity."""
    ctx = context()
    try:
        with ctx.session() as session:
            rows = [
                {
                    "form_id": s.form.xml_form_id,
                    "title": s.current.title,
                    "version": s.current.version,
                    "state": s.form.state,
                    "sensitive": s.form.sensitive,
                    "md5": s.current.md5,
                    "media": [m.filename for m in s.media],
                }
                for s in list_forms(session)
            ]
    except TgplError as error:
        raise fail(error, as_json) from error
    text = "\n".join(
        f"{r['form_id']}\t{r['version']}\t{r['state']}{' sensitive' if r['sensitive'] else ''}\t{r['title']}"
        for r in rows
    )
    emit(as_json, rows, text or "(no forms)")


def _set_state(form_id: str, state: str, as_json: bool) -> None:
    ctx = context()
    try:
        with ctx.session() as session:
            form = set_state(session=session, xml_form_id=form_id, state=state)
    except TgplError as error:
        raise fail(error, as_json) from error
    emit(as_json, {"form_id": form.xml_form_id, "state": form.state}, f"{form.xml_form_id}: {form.state}")


@app.command("codebook")
def codebook(
    form_id: str,
    out: Path = typer.Option(Path("."), "--out", file_okay=False, help="Folder to write FORM_ID-codebook.md/.csv in."),
    as_json: bool = JsonOption,
) -> None:
    """Write the codebook of a form's current version: every question, its type, rules and choice codes."""
    ctx = context()
    try:
        with ctx.session() as session:
            version = current_version(session, get_form(session, form_id))
    except TgplError as error:
        raise fail(error, as_json) from error
    assert version is not None
    book = build_codebook(version.xml)
    out.mkdir(parents=True, exist_ok=True)
    markdown, table = out / f"{form_id}-codebook.md", out / f"{form_id}-codebook.csv"
    markdown.write_text(to_markdown(book), encoding="utf-8")
    table.write_text(to_csv(book), encoding="utf-8")
    data = {
        "form_id": form_id,
        "version": version.version,
        "questions": len(book.questions),
        "markdown": str(markdown.resolve()),
        "csv": str(table.resolve()),
    }
    emit(as_json, data, f"{markdown}\n{table}")


@app.command("close")
def close(form_id: str, as_json: bool = JsonOption) -> None:
    """Close a form: phones no longer list it and its submissions are refused (409)."""
    _set_state(form_id, "closed", as_json)


@app.command("open")
def open_(form_id: str, as_json: bool = JsonOption) -> None:
    """Open a closed form again."""
    _set_state(form_id, "open", as_json)


@app.command("sensitive")
def sensitive(
    form_id: str,
    on: bool = typer.Option(..., "--on/--off", help="Mark the form sensitive (--on) or not (--off)."),
    as_json: bool = JsonOption,
) -> None:
    """Mark a form sensitive: viewers then get its aggregates only, never its rows (the person form is, from the
    start)."""
    ctx = context()
    try:
        with ctx.session() as session:
            form = set_sensitive(session=session, xml_form_id=form_id, sensitive=on)
    except TgplError as error:
        raise fail(error, as_json) from error
    state = "sensitive (viewers: aggregates only)" if form.sensitive else "not sensitive"
    emit(as_json, {"form_id": form.xml_form_id, "sensitive": form.sensitive}, f"{form.xml_form_id}: {state}")
