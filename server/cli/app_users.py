"""`tgpl app-users ...`: collaborators' devices and their QR codes."""

from __future__ import annotations

import dataclasses

import typer

from server.accounts.app_users import list_app_users
from server.accounts.app_users import revoke as revoke_app_user
from server.accounts.collect_qr import terminal_text
from server.cli.context import JsonOption, app_user_with_qr, context, emit, fail, forget_collect_files
from server.core.errors import TgplError

app = typer.Typer(help="Create, list and revoke app users (collaborators' phones).", no_args_is_help=True)


@app.command("create")
def create(
    name: str,
    forms: str = typer.Option("", "--forms", help="Comma-separated form ids this device may use (default: all)."),
    as_json: bool = JsonOption,
) -> None:
    """Create an app user and write its ODK Collect QR code (the token is shown only now)."""
    ctx = context()
    form_ids = [f.strip() for f in forms.split(",") if f.strip()]
    try:
        with ctx.session() as session:
            data = app_user_with_qr(ctx, session, name, form_ids)
    except TgplError as error:
        raise fail(error, as_json) from error
    text = (
        f"{terminal_text(data['qr_payload'])}\nApp user {data['id']} ({name})\nURL: {data['url']}\nQR: {data['qr_png']}"
    )
    emit(as_json, data, text)


@app.command("list")
def list_(as_json: bool = JsonOption) -> None:
    """Every app user, its form limits and submission count (never the token)."""
    ctx = context()
    try:
        with ctx.session() as session:
            rows = [dataclasses.asdict(row) for row in list_app_users(session)]
    except TgplError as error:
        raise fail(error, as_json) from error
    text = "\n".join(
        f"{r['id']}\t{r['name']}\t{'revoked' if r['revoked'] else 'active'}\t{','.join(r['forms']) or '*'}"
        f"\t{r['submissions']}"
        for r in rows
    )
    emit(as_json, rows, text or "(no app users)")


@app.command("revoke")
def revoke(app_user_id: int, as_json: bool = JsonOption) -> None:
    """Revoke an app user: the phone's next request is refused (403)."""
    ctx = context()
    try:
        with ctx.session() as session:
            user = revoke_app_user(session=session, app_user_id=app_user_id)
    except TgplError as error:
        raise fail(error, as_json) from error
    forget_collect_files(ctx, app_user_id)
    emit(as_json, {"id": user.id, "name": user.name, "revoked": True}, f"App user {user.id} revoked.")
