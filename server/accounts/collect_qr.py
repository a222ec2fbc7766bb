"""ODK Collect's settings QR code: JSON settings, zlib-compressed, base64, as a QR image."""

from __future__ import annotations

import base64
import io
import json
import zlib
from pathlib import Path
from typing import Any

import segno

PROJECT_NAME = "Trợ giúp pháp lý"


def collect_settings(server_url: str) -> dict[str, Any]:
    """The settings Collect imports when it scans the code: one project pointing at this app user's URL."""
    return {
        "general": {
            "server_url": server_url,
            "form_update_mode": "match_exactly",
            "autosend": "wifi_and_cellular",
        },
        "admin": {},
        "project": {"name": PROJECT_NAME, "icon": "T", "color": "#1565c0"},
    }


def encode_settings(settings: dict[str, Any]) -> str:
    """Collect's QR payload: compact JSON, zlib, base64."""
    raw = json.dumps(settings, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(zlib.compress(raw)).decode("ascii")


def decode_settings(payload: str) -> dict[str, Any]:
    """The inverse of encode_settings, as Collect reads a scanned code."""
    result: dict[str, Any] = json.loads(zlib.decompress(base64.b64decode(payload)).decode("utf-8"))
    return result


def write_png(payload: str, path: Path) -> Path:
    """Write the QR code as a PNG (readable from a laptop screen or a printout)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    segno.make(payload, error="m").save(str(path), scale=6, border=4)
    return path


def terminal_text(payload: str) -> str:
    """The QR code drawn with block characters, for a terminal a phone can scan."""
    out = io.StringIO()
    segno.make(payload, error="m").terminal(out=out, compact=True)
    return out.getvalue()
