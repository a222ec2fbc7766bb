"""A test client that talks OpenRosa the way ODK Collect does (OPENROSA.md section A)."""

from __future__ import annotations

import random
import string
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from defusedxml import ElementTree

FORM_LIST_NS = "{http://openrosa.org/xforms/xformsList}"
MANIFEST_NS = "{http://openrosa.org/xforms/xformsManifest}"
DEFAULT_MAX = 10_000_000  # Collect's limit when HEAD gives none


@dataclass
class ListedForm:
    """One <xform> as Collect reads it."""

    form_id: str
    name: str
    version: str | None
    hash: str
    download_url: str
    manifest_url: str | None


@dataclass
class Attachment:
    """A file in the instance folder: part name = file name."""

    name: str
    data: bytes
    content_type: str = "image/jpeg"


@dataclass
class CollectClient:
    """HEAD before POST, deviceID on every URL, Collect's quirky Date header, split uploads."""

    server_url: str
    device_id: str = field(default_factory=lambda: "collect:" + "".join(random.choices(string.ascii_letters, k=16)))
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30))

    def headers(self) -> dict[str, str]:
        """The headers Collect adds to every request (Date uses a 12-hour clock without AM/PM)."""
        return {
            "X-OpenRosa-Version": "1.0",
            "User-Agent": "org.odk.collect.android/v2025.2.0 Dalvik/2.1.0 (Linux; U; Android 13)",
            "Date": datetime.now(UTC).strftime("%a, %d %b %Y %I:%M:%S GMT"),
            "Accept-Encoding": "gzip",
        }

    def get(self, url: str, **headers: str) -> httpx.Response:
        """GET with deviceID appended as Collect does."""
        return self.http.get(url, params={"deviceID": self.device_id}, headers={**self.headers(), **headers})

    def form_list(self) -> list[ListedForm]:
        """Fetch and parse the form list namespace-aware, as Collect's kxml2 parser does."""
        response = self.get(f"{self.server_url}/formList")
        assert response.status_code == 200, response.text
        assert "text/xml" in response.headers["content-type"].lower()
        assert "x-openrosa-version" in response.headers
        root = ElementTree.fromstring(response.content)
        assert root.tag == f"{FORM_LIST_NS}xforms"
        forms = []
        for xform in root.findall(f"{FORM_LIST_NS}xform"):

            def text(name: str, node=xform) -> str | None:
                element = node.find(f"{FORM_LIST_NS}{name}")
                return (element.text or "").strip() or None if element is not None else None

            form_id, name, url, hash_ = text("formID"), text("name"), text("downloadUrl"), text("hash")
            assert form_id, "Collect rejects the whole list"
            assert name, "Collect rejects the whole list"
            assert url, "Collect rejects the whole list"
            assert hash_, "Collect NPEs on an empty hash"
            assert hash_.startswith("md5:")
            forms.append(ListedForm(form_id, name, text("version"), hash_[4:], url, text("manifestUrl")))
        return forms

    def manifest(self, form: ListedForm) -> list[tuple[str, str, str]]:
        """(filename, md5, downloadUrl) of each media file."""
        assert form.manifest_url
        response = self.get(form.manifest_url)
        assert response.status_code == 200
        assert "text/xml" in response.headers["content-type"].lower()
        root = ElementTree.fromstring(response.content)
        assert root.tag == f"{MANIFEST_NS}manifest"
        entries = []
        for media in root.findall(f"{MANIFEST_NS}mediaFile"):
            values = [(media.find(f"{MANIFEST_NS}{n}").text or "").strip() for n in ("filename", "hash", "downloadUrl")]
            assert values[1].startswith("md5:")
            entries.append((values[0], values[1][4:], values[2]))
        return entries

    def head(self) -> httpx.Response:
        """The HEAD Collect sends before each instance."""
        return self.http.head(
            f"{self.server_url}/submission", params={"deviceID": self.device_id}, headers=self.headers()
        )

    def post(
        self,
        xml: bytes,
        attachments: list[Attachment],
        *,
        incomplete: bool = False,
        instance_file: str = "Phiên thử_2026-11-26_10-00-00.xml",
    ) -> httpx.Response:
        """One multipart POST laid out byte for byte as okhttp writes Collect's."""
        boundary = str(uuid.uuid4())
        chunks = [_part(boundary, "xml_submission_file", instance_file, "text/xml", xml)]
        chunks += [_part(boundary, a.name, a.name, a.content_type, a.data) for a in attachments]
        if incomplete:
            chunks.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="*isIncomplete*"\r\n\r\nyes\r\n'.encode()
            )
        body = b"".join(chunks) + f"--{boundary}--\r\n".encode()
        return self.http.post(
            f"{self.server_url}/submission",
            params={"deviceID": self.device_id},
            content=body,
            headers={**self.headers(), "Content-Type": f"multipart/form-data; boundary={boundary}"},
        )

    def send(self, xml: bytes, attachments: list[Attachment] | None = None) -> list[httpx.Response]:
        """Send one instance: HEAD, then Collect's split algorithm over the attachments."""
        attachments = attachments or []
        head = self.head()
        limit = DEFAULT_MAX
        if head.status_code == 204:
            limit = int(head.headers.get("x-openrosa-accept-content-length", DEFAULT_MAX))
        responses: list[httpx.Response] = []
        i, first = 0, True
        while i < len(attachments) or first:
            last, first = i, False
            size, batch, incomplete = len(xml), [], False
            while i < len(attachments):
                batch.append(attachments[i])
                size += len(attachments[i].data)
                if i + 1 < len(attachments) and (i - last + 1 > 100 or size + len(attachments[i + 1].data) > limit):
                    incomplete = True
                    i += 1
                    break
                i += 1
            response = self.post(xml, batch, incomplete=incomplete)
            responses.append(response)
            if response.status_code not in (201, 202):
                break
        return responses


def _part(boundary: str, name: str, filename: str, content_type: str, data: bytes) -> bytes:
    def quoted(value: str) -> str:
        return value.replace("\n", "%0A").replace("\r", "%0D").replace('"', "%22")

    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{quoted(name)}"; filename="{quoted(filename)}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    )
    return head.encode("utf-8") + data + b"\r\n"


def instance_xml(
    *,
    form_id: str = "demo",
    version: str = "1",
    instance_id: str | None = None,
    deprecated_id: str | None = None,
    total: int = 12,
    photo: str | None = None,
    people: list[tuple[str, str | None]] = (),  # type: ignore[assignment]
) -> bytes:
    """An instance of the demo form shaped as JavaRosa serialises it (non-relevant/empty nodes as Collect)."""
    instance_id = instance_id or f"uuid:{uuid.uuid4()}"
    people_xml = "".join(
        f"<people><name>{name}</name><id_photo>{id_photo or ''}</id_photo></people>" for name, id_photo in people
    )
    deprecated = f"<deprecatedID>{deprecated_id}</deprecatedID>" if deprecated_id else ""
    return (
        f'<data xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms" '
        f'id="{form_id}" version="{version}"><visit_date>2026-11-20</visit_date><place>na_pai</place>'
        f"<total>{total}</total><photo>{photo or ''}</photo>{people_xml}<point>22.1 105.8 300.0 4.5</point>"
        f"<meta><instanceID>{instance_id}</instanceID>{deprecated}</meta></data>"
    ).encode()
