"""Hostile instance XML in a well-formed Collect POST: each is refused with an OpenRosa 400 and nothing is stored."""

from __future__ import annotations

import pytest

from tests.collect_client import instance_xml
from tests.hostile.checks import SUBMISSION_TABLES, Case, openrosa_message, params
from tests.hostile.world import World

DEMO = 'xmlns:jr="http://openrosa.org/javarosa" id="demo" version="1"'
NOT_XML = "không phải XML"
NO_DTD = "DOCTYPE"


def billion_laughs() -> bytes:
    """Ten levels of ten references: 10^10 'lol's if an entity were ever expanded."""
    levels = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)]
    return f'<?xml version="1.0"?><!DOCTYPE data [{"".join(levels)}]><data {DEMO}><total>&lol9;</total></data>'.encode()


def quadratic_blowup() -> bytes:
    """One 50 kB entity referenced 20,000 times: no nesting for a depth limit to catch, 1 GB if expanded."""
    entity = "A" * 50_000
    refs = "&a;" * 20_000
    return f'<!DOCTYPE data [<!ENTITY a "{entity}">]><data {DEMO}><total>{refs}</total></data>'.encode()


def deep_nesting() -> bytes:
    """100,000 nested elements inside an otherwise valid instance (no XLSForm nests past a few dozen groups)."""
    depth = 100_000
    return (
        f"<data {DEMO}><visit_date>2026-11-20</visit_date>" + "<g>" * depth + "x" + "</g>" * depth
        + "<meta><instanceID>uuid:hostile-deep</instanceID></meta></data>"
    ).encode()  # fmt: skip


def huge_form_id() -> bytes:
    """A 1 MB form id: it must not be looked up, nor echoed back in the error."""
    return instance_xml(form_id="f" * 1_000_000)


def huge_version() -> bytes:
    """A 1 MB version attribute."""
    return instance_xml(version="9" * 1_000_000)


def huge_instance_id() -> bytes:
    """A 1 MB instanceID."""
    return instance_xml(instance_id="uuid:" + "x" * 1_000_000)


def huge_file_name() -> bytes:
    """A 1 MB file name in a binary field (the photo)."""
    return instance_xml(photo="p" * 1_000_000 + ".jpg")


def huge_answer() -> bytes:
    """A 3 MB text answer: under the advertised limit, so it is data, kept byte for byte (Central keeps it too)."""
    return instance_xml(instance_id="uuid:hostile-huge-answer").replace(
        b"<total>12</total>", b"<total>" + b"9" * 3_000_000 + b"</total>"
    )


def utf16() -> bytes:
    """Well-formed XML in UTF-16 with a BOM: Collect sends UTF-8, but this is XML all the same (kept as sent)."""
    text = '<?xml version="1.0" encoding="UTF-16"?>' + instance_xml(instance_id="uuid:hostile-utf16").decode()
    return text.encode("utf-16")


def nul_byte() -> bytes:
    """A NUL byte inside an answer."""
    return instance_xml().replace(b"na_pai", b"na\x00pai")


def png() -> bytes:
    """A photo sent as the instance."""
    return b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256))


CASES = [
    Case("xxe-file", "xml/xxe-file.xml", 400, NO_DTD),
    Case("xxe-http", "xml/xxe-http.xml", 400, NO_DTD),
    Case("xxe-parameter-entity", "xml/xxe-parameter-entity.xml", 400, NO_DTD),
    Case("external-dtd", "xml/external-dtd.xml", 400, NO_DTD),
    Case("internal-dtd", "xml/internal-dtd.xml", 400, NO_DTD),
    Case("internal-entity", "xml/internal-entity.xml", 400, NO_DTD),
    Case("billion-laughs", billion_laughs, 400, NO_DTD),
    Case("quadratic-blowup", quadratic_blowup, 400, NO_DTD),
    Case("deep-nesting", deep_nesting, 400, "quá sâu"),
    Case("huge-form-id", huge_form_id, 400, "mã biểu mẫu"),
    Case("huge-version", huge_version, 400, "Phiên bản"),
    Case("huge-instance-id", huge_instance_id, 400, "instanceID"),
    Case("huge-file-name", huge_file_name, 400, "Tên tệp"),
    Case("huge-answer-is-data", huge_answer, 201, "đã nhận", SUBMISSION_TABLES),
    Case("utf16-with-bom-is-xml", utf16, 201, "đã nhận", SUBMISSION_TABLES),
    Case("utf16-declared-utf8-bytes", "xml/utf16-declared-utf8-bytes.xml", 400, NOT_XML),
    Case("latin1-declared-is-xml", "xml/latin1-declared.xml", 201, "đã nhận", SUBMISSION_TABLES),
    Case("latin1-undeclared", "xml/latin1-undeclared.xml", 400, NOT_XML),
    Case("utf8-truncated-sequence", "xml/utf8-truncated-sequence.xml", 400, NOT_XML),
    Case("nul-byte", nul_byte, 400, NOT_XML),
    Case("control-char-reference", "xml/control-char-reference.xml", 400, NOT_XML),
    Case("empty", lambda: b"", 400, NOT_XML),
    Case("whitespace", lambda: b" \r\n\t ", 400, NOT_XML),
    Case("json", "xml/json.xml", 400, NOT_XML),
    Case("csv", "xml/csv.xml", 400, NOT_XML),
    Case("html-error-page", "xml/html-error-page.xml", 400, NOT_XML),
    Case("png", png, 400, NOT_XML),
    Case("two-roots", "xml/two-roots.xml", 400, NOT_XML),
    Case("unclosed-element", "xml/unclosed-element.xml", 400, NOT_XML),
    Case("comment-only", "xml/comment-only.xml", 400, NOT_XML),
    Case("no-form-id", "xml/no-form-id.xml", 400, "mã biểu mẫu"),
    Case("blank-form-id", "xml/blank-form-id.xml", 400, "mã biểu mẫu"),
]


@pytest.mark.parametrize("case", params(CASES))
def test_hostile_instance_xml(world: World, case: Case) -> None:
    xml = case.payload()
    before = world.state()
    response = world.client.post(xml, [])
    assert response.status_code == case.status, response.text[:500]
    nature = "submit_success" if case.status == 201 else "error"
    assert case.says in openrosa_message(response, nature)
    world.assert_alive()
    after = world.state()
    after.assert_nothing_half_written(before, case.changes)
    if case.status == 201:
        (sha256,) = set(after.values("submission_def", "xml_sha256")) - set(
            before.values("submission_def", "xml_sha256")
        )
        assert world.phone.live.store.read(sha256) == xml  # byte for byte
