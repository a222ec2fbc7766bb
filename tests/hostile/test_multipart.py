"""Hostile multipart bodies on POST /submission: every one gets an OpenRosa answer, and nothing half-written remains.

Parts whose names no binary field references are ignored, as ODK Central ignores them (OPENROSA.md B.5): a valid
instance with such a part is stored (201), waiting for the attachment it names; file names of the instance part
are never used (the blob store names files by their hash)."""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.collect_client import instance_xml
from tests.hostile.checks import SUBMISSION_TABLES, Case, openrosa_message, params
from tests.hostile.world import World

MULTIPART = "multipart/form-data; boundary=b"
UNREADABLE = "multipart"
NO_XML = "xml_submission_file"
BAD_NAME = "Tên tệp"
STORED = "đã nhận"
WAITING = "còn chờ 1"


def part(name: bytes | str, data: bytes, filename: bytes | str | None = None, headers: bytes = b"") -> bytes:
    """One part as okhttp writes it (names already in the bytes they are to be sent as)."""
    name = name.encode() if isinstance(name, str) else name
    filename = filename.encode() if isinstance(filename, str) else filename
    disposition = b'Content-Disposition: form-data; name="' + name + b'"'
    if filename is not None:
        disposition += b'; filename="' + filename + b'"'
    return (
        b"--b\r\n"
        + disposition
        + b"\r\n"
        + headers
        + b"Content-Type: application/octet-stream\r\n\r\n"
        + data
        + b"\r\n"
    )


def body(*parts: bytes, end: bytes = b"--b--\r\n") -> tuple[str, bytes]:
    """A multipart body with boundary b."""
    return MULTIPART, b"".join(parts) + end


def xml_part(xml: bytes | None = None, filename: str = "Phiên thử.xml") -> bytes:
    """The instance part."""
    return part("xml_submission_file", xml if xml is not None else instance_xml(), filename)


def with_photo(name: str) -> bytes:
    """An instance whose photo field names this file."""
    return instance_xml(photo=name)


CASES = [
    Case("no-boundary", lambda: ("multipart/form-data", xml_part() + b"--b--\r\n"), 400, UNREADABLE),
    Case("empty-boundary", lambda: ("multipart/form-data; boundary=", xml_part() + b"--b--\r\n"), 400, UNREADABLE),
    Case("boundary-mismatch", lambda: ("multipart/form-data; boundary=other", body(xml_part())[1]), 400, UNREADABLE),
    Case("garbage", lambda: (MULTIPART, bytes(range(256)) * 64), 400, UNREADABLE),
    Case("empty-body", lambda: (MULTIPART, b""), 400, UNREADABLE),
    Case("only-closing-boundary", lambda: body(), 400, NO_XML),
    Case(
        "truncated-in-headers",
        lambda: (MULTIPART, b'--b\r\nContent-Disposition: form-data; name="xml_subm'),
        400,
        UNREADABLE,
    ),
    Case(
        "truncated-in-xml",
        lambda: (MULTIPART, xml_part()[:-200]),
        400,
        UNREADABLE,
    ),
    Case(
        "truncated-in-attachment",
        lambda: (MULTIPART, xml_part(with_photo("p.jpg")) + part("p.jpg", b"\xff\xd8" + b"x" * 5000, "p.jpg")[:-1000]),
        400,
        UNREADABLE,
    ),
    Case("no-final-boundary", lambda: body(xml_part(), end=b""), 400, UNREADABLE),
    Case(
        "no-content-disposition",
        lambda: (MULTIPART, b"--b\r\nContent-Type: text/xml\r\n\r\n<x/>\r\n--b--\r\n"),
        400,
        UNREADABLE,
    ),
    Case(
        "thousands-of-file-parts",
        lambda: body(xml_part(), *(part(f"f{n}.jpg", b"x", f"f{n}.jpg") for n in range(3000))),
        400,
        UNREADABLE,
    ),
    Case("thousands-of-fields", lambda: body(xml_part(), *(part(f"f{n}", b"x") for n in range(3000))), 400, UNREADABLE),
    Case(
        "long-part-name-referenced",
        lambda: body(xml_part(with_photo("p" * 300 + ".jpg")), part("p" * 300 + ".jpg", b"x", "p.jpg")),
        400,
        BAD_NAME,
    ),
    Case(
        "huge-part-name",
        lambda: body(xml_part(with_photo("p" * 100_000 + ".jpg")), part("p" * 100_000 + ".jpg", b"x", "p.jpg")),
        400,
        UNREADABLE,
    ),
    Case(
        "huge-part-header",
        lambda: body(xml_part(), part("x.jpg", b"x", "x.jpg", b"X-Pad: " + b"p" * 500_000 + b"\r\n")),
        400,
        UNREADABLE,
    ),
    Case(
        "path-traversal-referenced",
        lambda: body(xml_part(with_photo("../../../etc/passwd")), part("../../../etc/passwd", b"x", "passwd")),
        400,
        BAD_NAME,
    ),
    Case("path-traversal-dotdot", lambda: body(xml_part(with_photo("..")), part("..", b"x", "..")), 400, BAD_NAME),
    Case(
        "backslash-traversal-referenced",
        lambda: body(xml_part(with_photo("..\\..\\boot.ini")), part("..\\..\\boot.ini", b"x", "boot.ini")),
        400,
        BAD_NAME,
    ),
    Case(
        "path-traversal-xml-filename",
        lambda: body(xml_part(filename="../../../../../../tmp/tgpl-evil.xml")),
        201,
        STORED,
        SUBMISSION_TABLES,
    ),
    Case("nul-in-referenced-name", lambda: body(xml_part(with_photo("p&#0;.jpg"))), 400, "XML"),
    Case(
        "nul-in-part-name",
        lambda: body(xml_part(with_photo("p.jpg")), part(b"p.jpg\x00.php", b"x", b"p.jpg\x00.php")),
        201,
        WAITING,
        SUBMISSION_TABLES,
    ),
    Case(
        "non-utf8-part-name",
        lambda: body(xml_part(with_photo("café.jpg")), part("café.jpg".encode("latin-1"), b"x", "a.jpg")),
        201,
        "đầy đủ",  # Starlette reads a name that is not UTF-8 as Latin-1: here it is the file the XML names
        SUBMISSION_TABLES,
    ),
    Case(
        "duplicate-xml-parts",
        lambda: body(xml_part(instance_xml(total=1)), xml_part(instance_xml(total=2))),
        400,
        NO_XML,
    ),
    Case(
        "duplicate-attachment-parts",
        lambda: body(
            xml_part(with_photo("p.jpg")), part("p.jpg", b"first", "p.jpg"), part("p.jpg", b"second", "p.jpg")
        ),
        400,
        "p.jpg",
    ),
    Case("xml-part-as-plain-field", lambda: body(part("xml_submission_file", b"<not closed")), 400, "XML"),
    Case(
        "urlencoded",
        lambda: ("application/x-www-form-urlencoded", b"xml_submission_file=%3Cdata%2F%3E"),
        400,
        UNREADABLE,
    ),
    Case("raw-xml", lambda: ("text/xml", instance_xml()), 400, UNREADABLE),
    Case("no-content-type", lambda: ("", instance_xml()), 400, UNREADABLE),
]


@pytest.mark.parametrize("case", params(CASES))
def test_hostile_multipart(world: World, case: Case) -> None:
    content_type, sent = case.payload()
    before = world.state()
    response = world.raw_post(content_type, sent)
    assert response.status_code == case.status, response.text[:500]
    assert case.says in openrosa_message(response, "submit_success" if case.status == 201 else "error")
    world.assert_alive()
    after = world.state()
    after.assert_nothing_half_written(before, case.changes)
    assert not list(world.phone.live.settings.data_dir.rglob("tgpl-evil.xml"))
    assert not Path("/tmp/tgpl-evil.xml").exists()  # noqa: S108 - where the traversal would have written


def test_declared_length_over_the_limit_is_413_before_the_body(world: World) -> None:
    """A Content-Length over the limit is refused at once, without waiting for (or reading) the body."""
    url = urlsplit(world.url())
    before = world.state()
    request = (
        f"POST {url.path}/submission HTTP/1.1\r\nHost: {url.netloc}\r\nX-OpenRosa-Version: 1.0\r\n"
        f"Content-Type: {MULTIPART}\r\nContent-Length: {10**12}\r\n\r\n--b\r\n"
    )
    with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
        sock.sendall(request.encode())
        answer = b""
        while b"</OpenRosaResponse>" not in answer and (chunk := sock.recv(65536)):
            answer += chunk
    head, _, content = answer.partition(b"\r\n\r\n")
    assert head.split(b" ", 2)[1] == b"413"
    response = httpx.Response(
        413, headers=[tuple(line.split(b": ", 1)) for line in head.split(b"\r\n")[1:]], content=content
    )
    assert "quá lớn" in openrosa_message(response)
    world.assert_alive()
    world.state().assert_nothing_half_written(before, frozenset())
