"""Every OpenRosa body and header tgpl sends: form list, manifest, OpenRosaResponse (OPENROSA.md section D)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from xml.sax.saxutils import escape

from fastapi import Response

XML_TYPE = "text/xml; charset=utf-8"  # Collect rejects application/xml on the form list and manifest
FORM_LIST_NS = "http://openrosa.org/xforms/xformsList"
MANIFEST_NS = "http://openrosa.org/xforms/xformsManifest"
RESPONSE_NS = "http://openrosa.org/http/response"


@dataclass(frozen=True, slots=True)
class FormListEntry:
    """One <xform> of the form list."""

    form_id: str
    name: str
    version: str
    md5: str
    download_url: str
    manifest_url: str | None


@dataclass(frozen=True, slots=True)
class MediaEntry:
    """One <mediaFile> of a manifest."""

    filename: str
    md5: str
    download_url: str


def openrosa_headers(max_bytes: int) -> dict[str, str]:
    """Headers on every OpenRosa response."""
    return {
        "X-OpenRosa-Version": "1.0",
        "X-OpenRosa-Accept-Content-Length": str(max_bytes),
        "Content-Language": "vi",
    }


def xml_response(body: str, *, status: int = 200, max_bytes: int, extra: dict[str, str] | None = None) -> Response:
    """An OpenRosa XML response with the protocol headers."""
    headers = {**openrosa_headers(max_bytes), **(extra or {})}
    return Response(content=body.encode("utf-8"), status_code=status, media_type=XML_TYPE, headers=headers)


def _element(name: str, value: str) -> str:
    return f"<{name}>{escape(value)}</{name}>"


def form_list_xml(entries: Iterable[FormListEntry]) -> str:
    """The formList document, shaped as ODK Central emits it."""
    items = []
    for entry in entries:
        fields = [
            _element("formID", entry.form_id),
            _element("name", entry.name),
            _element("version", entry.version),
            _element("hash", f"md5:{entry.md5}"),
            _element("downloadUrl", entry.download_url),
        ]
        if entry.manifest_url:
            fields.append(_element("manifestUrl", entry.manifest_url))
        items.append("  <xform>\n    " + "\n    ".join(fields) + "\n  </xform>\n")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<xforms xmlns="{FORM_LIST_NS}">\n{"".join(items)}</xforms>\n'


def manifest_xml(entries: Iterable[MediaEntry]) -> str:
    """The manifest of a form's media files."""
    items = [
        "  <mediaFile>\n    "
        + "\n    ".join(
            [
                _element("filename", entry.filename),
                _element("hash", f"md5:{entry.md5}"),
                _element("downloadUrl", entry.download_url),
            ]
        )
        + "\n  </mediaFile>\n"
        for entry in entries
    ]
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<manifest xmlns="{MANIFEST_NS}">\n{"".join(items)}</manifest>\n'


def message_xml(message: str, *, nature: str) -> str:
    """An OpenRosaResponse carrying one message (Collect shows the first <message> text)."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<OpenRosaResponse xmlns="{RESPONSE_NS}" items="0">\n'
        f'  <message nature="{escape(nature)}">{escape(message)}</message>\n</OpenRosaResponse>\n'
    )
