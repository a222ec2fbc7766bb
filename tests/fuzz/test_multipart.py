"""Generated multipart submission POSTs against a live server (tgpl's reader in server/openrosa/upload.py and the
submission route): random boundaries, part names, part counts, header casing and truncation.

Live uvicorn rather than ASGITransport: the property is about what a phone gets over HTTP, and one server per test
serves every example, so the bounded run costs little more than in-process calls would."""

from __future__ import annotations

import gc
from dataclasses import dataclass
from xml.sax.saxutils import escape

import httpx
from defusedxml import ElementTree
from hypothesis import assume, event, given
from hypothesis import strategies as st
from sqlmodel import Session, col, select

from server.core.models import SubmissionAttachment, SubmissionDef
from tests.collect_client import instance_xml
from tests.conftest import Phone
from tests.fuzz.budget import bounded

RESPONSE_NS = "{http://openrosa.org/http/response}"
BCHARS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=?"  # RFC 2046 boundary chars
BOUNDARIES = st.text(BCHARS, min_size=1, max_size=70)
FILE_NAMES = st.one_of(
    st.from_regex(r"[0-9]{13}\.jpg", fullmatch=True),  # what Collect names photos
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters="/\\"), min_size=1, max_size=20).map(
        lambda stem: stem + ".jpg"
    ),
    st.sampled_from(['a"b.jpg', "nul\x00.jpg", "ảnh giấy tờ 1.jpg", "x;y=z.jpg", "tab\t.jpg", "%22.jpg"]),
)


def recase(draw: st.DrawFn, word: str) -> str:
    """word in a random letter case, as some clients write header names and parameters."""
    return "".join(c.upper() if draw(st.booleans()) else c.lower() for c in word) if draw(st.booleans()) else word


def quoted(draw: st.DrawFn, value: str) -> bytes:
    """A parameter value as a client may quote it: raw UTF-8, with quotes escaped by a backslash or as %22."""
    style = draw(st.sampled_from(("raw", "backslash", "percent")))
    if style == "backslash":
        value = value.replace("\\", "\\\\").replace('"', '\\"')
    elif style == "percent":
        value = value.replace('"', "%22")
    return b'"' + value.encode("utf-8", "surrogatepass") + b'"'


@dataclass(frozen=True)
class Post:
    """One generated POST and what was in it."""

    content_type: str
    body: bytes
    xml: bytes
    instance_id: str
    files: dict[str, bytes]  # attachments by part name, the last part of a name winning (as the server reads them)
    complete: bool  # not truncated


@st.composite
def posts(draw: st.DrawFn) -> Post:
    """A Collect-like multipart POST of the demo form, bent in the ways the multipart grammar allows."""
    boundary = draw(BOUNDARIES)
    instance_id = f"uuid:{draw(st.uuids())}"
    names = draw(st.lists(FILE_NAMES, max_size=4, unique=True))
    referenced = [name for name in names if draw(st.booleans())]
    people = "".join(f"<people><name>N</name><id_photo>{escape(name)}</id_photo></people>" for name in referenced[1:])
    photo = escape(referenced[0]) if referenced else ""
    xml = (
        '<data xmlns:jr="http://openrosa.org/javarosa" id="demo" version="1"><visit_date>2026-11-20</visit_date>'
        f"<place>na_pai</place><total>3</total><photo>{photo}</photo>{people}"
        f"<meta><instanceID>{instance_id}</instanceID></meta></data>"
    ).encode()
    parts: list[tuple[str, bytes, bytes]] = [("xml_submission_file", b"text/xml", xml)]
    parts += [(name, b"image/jpeg", draw(st.binary(max_size=64))) for name in names]
    if draw(st.booleans()):
        parts.append(("*isIncomplete*", b"", b"yes"))
    parts = draw(st.permutations(parts))
    chunks = []
    for name, content_type, data in parts:
        assume(b"\r\n--" + boundary.encode() not in b"\r\n" + data)
        disposition = recase(draw, "Content-Disposition").encode() + b": form-data; "
        disposition += recase(draw, "name").encode() + b"=" + quoted(draw, name)
        if content_type:
            disposition += b"; filename=" + quoted(draw, name)
        headers = disposition + b"\r\n"
        if content_type and draw(st.booleans()):
            headers += recase(draw, "Content-Type").encode() + b": " + content_type + b"\r\n"
        chunks.append(b"--" + boundary.encode() + b"\r\n" + headers + b"\r\n" + data + b"\r\n")
    body = b"".join(chunks) + b"--" + boundary.encode() + b"--\r\n"
    cut = draw(st.none() | st.integers(0, len(body)))
    parameter = draw(
        st.sampled_from((f"boundary={boundary}", f'boundary="{boundary}"', f"{recase(draw, 'boundary')}={boundary}"))
    )
    content_type = f"{recase(draw, 'multipart/form-data')}; {parameter}"
    files = {name: data for name, _, data in parts if name != "xml_submission_file" and name != "*isIncomplete*"}
    return Post(content_type, body[:cut], xml, instance_id, files, cut is None or cut == len(body))


def openrosa_message(response: httpx.Response) -> str:
    """The <message> of an OpenRosaResponse body (fails when the body is anything else)."""
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    root = ElementTree.fromstring(response.content)
    assert root.tag == f"{RESPONSE_NS}OpenRosaResponse"
    message = root.find(f"{RESPONSE_NS}message")
    assert message is not None
    return message.text or ""


def test_generated_multipart_posts_get_201_or_an_openrosa_4xx(phone: Phone, collect) -> None:
    @given(post=posts())
    @bounded(60)
    def post_one(post: Post) -> None:
        response = httpx.post(
            f"{phone.url}/submission",
            content=post.body,
            headers={"X-OpenRosa-Version": "1.0", "Content-Type": post.content_type},
            timeout=30,
        )
        event(f"{response.status_code} {'complete' if post.complete else 'truncated'}")
        assert response.status_code == 201 or 400 <= response.status_code < 500, response.text
        assert openrosa_message(response)
        if response.status_code == 201:
            assert_stored_as_sent(phone, post)

    post_one()
    (after,) = collect(phone.url).send(instance_xml())
    assert after.status_code == 201  # the server still answers


def assert_stored_as_sent(phone: Phone, post: Post) -> None:
    """The current version of the posted instance holds the sent XML, and each stored file the sent bytes."""
    with Session(phone.live.engine) as session:
        stored = session.exec(
            select(SubmissionDef).where(SubmissionDef.instance_id == post.instance_id, col(SubmissionDef.current))
        ).one()
        attachments = session.exec(
            select(SubmissionAttachment).where(SubmissionAttachment.submission_def_id == stored.id)
        ).all()
    assert phone.live.store.read(stored.xml_sha256) == post.xml
    for attachment in attachments:
        if attachment.sha256 is not None:
            assert phone.live.store.read(attachment.sha256) == post.files[attachment.name]


def test_a_body_cut_inside_a_file_part_is_refused(phone: Phone) -> None:
    body = b'--b\r\nContent-Disposition: form-data; name="x.jpg"; filename="x.jpg"\r\n\r\nabc'
    response = httpx.post(
        f"{phone.url}/submission",
        content=body,
        headers={"X-OpenRosa-Version": "1.0", "Content-Type": "multipart/form-data; boundary=b"},
    )
    gc.collect()  # a temporary file left open warns here, and warnings are errors
    assert response.status_code == 400
    assert "The multipart body could not be parsed" in openrosa_message(response)  # not "xml_submission_file missing"
