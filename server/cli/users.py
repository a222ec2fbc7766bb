"""`tgpl users ...`: people who sign in to the coordinator pages."""

from __future__ import annotations

import secrets

import typer

from server.accounts.web_users import ROLES, create_web_user, new_api_token
from server.cli.context import JsonOption, context, emit, fail
from server.core.errors import TgplError

app = typer.Typer(help="Web users: admins, coordinators, viewers.", no_args_is_help=True)


@app.command("create")
def create(
    username: str,
    role: str = typer.Option(..., help=f"One of {', '.join(ROLES)}."),
    area: str | None = typer.Option(None, help="Limit the user to a unit (province, district or commune) by code."),
    scheme: str = typer.Option("new", help="The structure the area code belongs to: new (2025) or old."),
    as_json: bool = JsonOption,
) -> None:
    """Create a web user with a random password (shown once)."""
    ctx = context()
    password = secrets.token_urlsafe(12)
    try:
        with ctx.session() as session:
            user = create_web_user(session=session, username=username, password=password, role=role,
                                   area_scheme=scheme if area else None, area_code=area)  # fmt: skip
    except TgplError as error:
        raise fail(error, as_json) from error
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    data = {"id": user.id, "username": user.username, "role": user.role, "area": area,
            "scheme": scheme if area else None, "password": password}  # fmt: skip
    emit(as_json, data, f"{username} ({role}{', ' + scheme + ' ' + area if area else ''}): password {password}")


@app.command("token")
def token(username: str, as_json: bool = JsonOption) -> None:
    """Give a user a new API token for scripts (shown once; the previous token stops working)."""
    ctx = context()
    try:
        with ctx.session() as session:
            value = new_api_token(session=session, username=username)
    except TgplError as error:
        raise fail(error, as_json) from error
    emit(as_json, {"username": username, "token": value}, value)
