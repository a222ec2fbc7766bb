"""The Collect settings QR code: the image decodes to the payload, the payload to Collect's settings."""

from __future__ import annotations

from pathlib import Path

import zxingcpp
from PIL import Image

from server.accounts.collect_qr import collect_settings, decode_settings, encode_settings, terminal_text, write_png

URL = "http://192.168.1.20:8000/key/" + "Ab1-_" * 12 + "Ab1-"


def test_payload_is_zlib_base64_json_of_collect_settings() -> None:
    payload = encode_settings(collect_settings(URL))
    assert decode_settings(payload) == {
        "general": {"server_url": URL, "form_update_mode": "match_exactly", "autosend": "wifi_and_cellular"},
        "admin": {},
        "project": {"name": "Trợ giúp pháp lý", "icon": "T", "color": "#1565c0"},
    }


def test_png_and_terminal_codes_decode_to_the_payload(tmp_path: Path) -> None:
    payload = encode_settings(collect_settings(URL))
    png = write_png(payload, tmp_path / "qr" / "app-user-1.png")
    (code,) = zxingcpp.read_barcodes(Image.open(png))
    assert code.format == zxingcpp.BarcodeFormat.QRCode
    assert code.text == payload
    lines = terminal_text(payload).splitlines()
    assert len(lines) > 20
    assert len({len(line) for line in lines}) == 1  # a square of block characters
