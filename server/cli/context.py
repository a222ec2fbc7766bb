"""What every CLI command needs: settings from the environment, the engine, the store, and output."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import typer
from sqlalchemy import Engine
from sqlmodel import Session

from server.accounts.app_users import create_app_user
from server.accounts.collect_qr import collect_settings, encode_settings, write_png
from server.accounts.network import phone_base_url
from server.core.config import Settings
from server.core.db import make_engine, require_migrated
from server.core.errors import TgplError
from server.core.storage import BlobStore
from server.publishing.forms import Published, publish_xform

JsonOption = typer.Option(False, "--json", help="Print machine-readable JSON.")


@dataclass
class Context:
    """Lazily built settings, engine and store for one CLI invocation."""

    settings: Settings

    @cached_property
    def engine(self) -> Engine:
        """The database engine (not checked for migrations)."""
        return make_engine(self.settings.resolved_database_url)

    @cached_property
    def store(self) -> BlobStore:
        """The blob store under the data directory."""
        return BlobStore(self.settings.blob_dir)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session on a migrated database."""
        require_migrated(self.engine)
        with Session(self.engine) as session:
            yield session


def context() -> Context:
    """The context built from TGPL_* environment variables."""
    return Context(Settings())


def emit(as_json: bool, data: Any, text: str) -> None:
    """Print JSON or human text."""
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str) if as_json else text)


def parse_day(value: str | None) -> date | None:
    """A YYYY-MM-DD option (None when not given); a bad date is a usage error."""
    try:
        return date.fromisoformat(value) if value else None
    except ValueError as error:
        raise typer.BadParameter(f"dates are YYYY-MM-DD: {error}") from error


def parse_period_days(start: str, end: str) -> tuple[date, date]:
    """The two required --from and --to dates."""
    first, last = parse_day(start), parse_day(end)
    if first is None or last is None:
        raise typer.BadParameter("--from and --to are required")
    return first, last


def fail(error: TgplError, as_json: bool) -> typer.Exit:
    """Report an error (Vietnamese and English) and return the exit to raise."""
    if as_json:
        typer.echo(json.dumps({"error": error.code, "message": error.message}, ensure_ascii=False), err=True)
    else:
        typer.secho(f"Lỗi / Error: {error.message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code=1)


def publish_xlsform(ctx: Context, session: Session, path: Path, media: list[Path]) -> tuple[Published, list[str]]:
    """Build an XLSForm (pyxform + ODK Validate) and publish it with its media files."""
    from forms.build import build_xlsform  # pyxform is slow to import: only the commands that build pay for it
    from forms.workbook import check_workbook

    if path.suffix.lower() in (".xlsx", ".xlsm"):  # the same checks as a web upload (markdown forms have none)
        check_workbook(path.read_bytes())
    built = build_xlsform(path)
    files = {m.name: m.read_bytes() for m in media}
    published = publish_xform(session=session, store=ctx.store, xform=built.xform, media=files)
    return published, list(built.warnings)


def app_user_with_qr(ctx: Context, session: Session, name: str, form_ids: list[str]) -> dict[str, Any]:
    """Create an app user, write its Collect QR code and token under the data directory, and describe it."""
    user, token = create_app_user(session=session, name=name, form_ids=form_ids)
    assert user.id is not None
    return {**collect_files(ctx, user.id, token), "name": user.name, "forms": form_ids}


def collect_files(ctx: Context, app_user_id: int, token: str) -> dict[str, Any]:
    """(Re)write an app user's token and QR code for the current phone URL (the LAN address may have changed)."""
    url = f"{phone_base_url(ctx.settings)}/key/{token}"
    payload = encode_settings(collect_settings(url))
    directory = ctx.settings.collect_dir
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)  # the files inside are credentials
    token_file = directory / f"app-user-{app_user_id}.token"
    token_file.write_text(token + "\n", encoding="ascii")
    png = write_png(payload, directory / f"app-user-{app_user_id}.png")
    for secret in (png, token_file):
        os.chmod(secret, 0o600)
    return {"id": app_user_id, "token": token, "url": url, "qr_png": str(png.resolve()), "qr_payload": payload}


def saved_token(ctx: Context, app_user_id: int) -> str | None:
    """The token written when this app user was created here, if its file is still in the data directory."""
    token_file = ctx.settings.collect_dir / f"app-user-{app_user_id}.token"
    return token_file.read_text(encoding="ascii").strip() if token_file.is_file() else None


def forget_collect_files(ctx: Context, app_user_id: int) -> None:
    """Delete a revoked app user's token and QR code from the data directory."""
    for suffix in (".token", ".png"):
        (ctx.settings.collect_dir / f"app-user-{app_user_id}{suffix}").unlink(missing_ok=True)
