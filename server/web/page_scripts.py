"""The pages' own scripts, served by tgpl: pages carry no inline script, so their policy can refuse every other."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse

from server.core.errors import NotFound

router = APIRouter(include_in_schema=False)
SCRIPT_BASE = "/static/web"
SCRIPTS = {name: Path(__file__).parent / "static" / name for name in ("villages.js", "downloads.js")}


def listed_file(files: dict[str, Path], name: str, **options: Any) -> FileResponse:
    """One of a fixed list of files served by tgpl: the name is a lookup key, never a path."""
    path = files.get(name)
    if path is None:
        raise NotFound("Không có tệp này.", "No such file.")
    return FileResponse(path, **options)


@router.get(SCRIPT_BASE + "/{name}")
def script(name: str) -> FileResponse:
    """One of the listed scripts; revalidated, as it changes with tgpl."""
    return listed_file(SCRIPTS, name, media_type="text/javascript; charset=utf-8",
                       headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})  # fmt: skip
