"""`tgpl init` and `tgpl serve`: set up a machine, then serve phones."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
import uvicorn
from sqlmodel import Session, select

from server.accounts.app_users import hash_token
from server.accounts.collect_qr import terminal_text
from server.accounts.web_users import ensure_admin
from server.cli.context import (
    Context,
    JsonOption,
    app_user_with_qr,
    collect_files,
    context,
    emit,
    fail,
    publish_xlsform,
    saved_token,
)
from server.core import logs
from server.core.config import Settings
from server.core.db import migrate
from server.core.errors import TgplError
from server.core.models import AppUser
from server.places.load import load_gazetteer

if TYPE_CHECKING:
    from fastapi import FastAPI

BUILTIN_FORMS = Path(__file__).resolve().parents[2] / "forms" / "xlsform"
FIRST_APP_USER = "Cộng tác viên 1"


def builtin_forms() -> list[tuple[Path, list[Path]]]:
    """The XLSForms shipped in forms/xlsform, each with the files of its <name>-media folder."""
    found = []
    for path in sorted(BUILTIN_FORMS.glob("*.xlsx")):
        media_dir = path.with_name(f"{path.stem}-media")
        media = sorted(p for p in media_dir.iterdir() if p.is_file()) if media_dir.is_dir() else []
        found.append((path, media))
    return found


def init(as_json: bool = JsonOption) -> None:
    """Migrate, load the gazetteer scope, publish the built-in forms, create the admin and a first app user.

    Safe to run again: nothing is duplicated and the data is kept.
    """
    ctx = context()
    report: dict[str, Any] = {"data_dir": str(ctx.settings.data_dir.resolve()), "forms": []}

    def log(line: str) -> None:
        if not as_json:
            typer.echo(line)

    try:
        log(f"Cơ sở dữ liệu / database: {ctx.engine.url.render_as_string(hide_password=True)}")
        migrate(ctx.engine)
        from server.web.security import secret_key  # the web stack only where needed

        secret_key(ctx.settings)  # made here, once, so that servers started together all read the same key
        with ctx.session() as session:
            gazetteer = load_gazetteer(session=session, provinces=ctx.settings.provinces, progress=log)
            report["gazetteer"] = {"inserted": gazetteer.inserted, "updated": gazetteer.updated, **gazetteer.counts}
            for path, media in builtin_forms():
                published, warnings = publish_xlsform(ctx, session, path, media)
                report["forms"].append(
                    {
                        "form_id": published.form_id,
                        "version": published.version,
                        "changed": published.changed,
                        "warnings": warnings,
                    }
                )
                state = "đã xuất bản / published" if published.changed else "không đổi / unchanged"
                log(f"Biểu mẫu / form {published.form_id} {published.version}: {state}")
                for warning in warnings:
                    log(f"  ! {warning}")
            password = ensure_admin(session=session)
            report["admin"] = {"username": "admin", "password": password}
            report["app_user"] = _first_phone(ctx, session)
    except TgplError as error:
        raise fail(error, as_json) from error
    if as_json:
        emit(True, report, "")
        return
    if password:
        typer.secho(
            f"Tài khoản quản trị / admin account: admin / {password}  (chỉ hiện một lần / shown once)",
            fg=typer.colors.YELLOW,
        )
    phone = report.get("app_user")
    if phone and phone.get("url"):
        typer.echo(terminal_text(phone["qr_payload"]))
        typer.echo(f"Quét mã QR bằng ODK Collect / scan with ODK Collect: {phone['qr_png']}")
        typer.echo(f"Địa chỉ cho điện thoại / phone URL: {phone['url']}")


def _first_phone(ctx: Context, session: Session) -> dict[str, Any] | None:
    """Create the first app user on a new install; on later runs, re-print the oldest active one's QR code."""
    if session.exec(select(AppUser)).first() is None:
        return app_user_with_qr(ctx, session, FIRST_APP_USER, [])
    first = session.exec(
        select(AppUser).where(AppUser.revoked_at.is_(None)).order_by(AppUser.id)  # type: ignore[union-attr, arg-type]
    ).first()
    if first is None or first.id is None:
        return None
    token = saved_token(ctx, first.id)
    if token is None or hash_token(token) != first.token_hash:
        return {"id": first.id, "name": first.name}
    return {**collect_files(ctx, first.id, token), "name": first.name}


def serve(
    host: str | None = typer.Option(None, help="Interface to listen on (default TGPL_HOST or 0.0.0.0)."),
    port: int | None = typer.Option(None, help="Port (default TGPL_PORT or 8000)."),
    workers: int = typer.Option(1, min=1, help="Server processes sharing the port, the database and the data dir."),
) -> None:
    """Serve OpenRosa for phones (refuses an unmigrated database)."""
    from server.app import create_app  # the web stack is only needed to serve

    ctx = context()
    try:
        app = create_app(ctx.settings, engine=ctx.engine)  # checks the migrations, makes the session key once
    except TgplError as error:
        raise fail(error, False) from error
    host, port = host or ctx.settings.host, port or ctx.settings.port
    if workers > 1:  # each worker process builds its own app from the same TGPL_* environment
        ctx.engine.dispose()
        # A worker imports the whole web stack before it answers the supervisor: give it a minute, not 5 s.
        uvicorn.run("server.cli.setup:worker_app", factory=True, host=host, port=port, workers=workers,
                    log_level="info", timeout_worker_healthcheck=60)  # fmt: skip
        return
    config = uvicorn.Config(app, host=host, port=port, log_level="info")
    logs.install()  # after uvicorn has configured its loggers: tokens never reach the logs
    uvicorn.Server(config).run()


def worker_app() -> FastAPI:
    """The app of one `tgpl serve --workers N` process, built once uvicorn has set up its logging in that process."""
    from server.app import create_app

    logs.install()  # the masking filter lives in each process's loggers
    return create_app(Settings())
