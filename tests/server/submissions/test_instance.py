"""Reading submitted instances as Central does: by local name, whatever the namespaces."""

from __future__ import annotations

import gc
import hashlib
import weakref

import pytest

from server.core.errors import BadRequest
from server.submissions.instance import binary_values, field_text, parse_instance


def test_reads_ids_from_meta_in_any_namespace() -> None:
    xml = (
        b'<data xmlns="http://www.w3.org/2002/xforms" xmlns:orx="http://openrosa.org/xforms" id="f" version="7">'
        b"<orx:meta><orx:instanceID>uuid:2</orx:instanceID><orx:deprecatedID>uuid:1</orx:deprecatedID>"
        b"<orx:instanceName>2026-11-20 Na Pai</orx:instanceName></orx:meta></data>"
    )
    instance = parse_instance(xml)
    assert (instance.form_id, instance.version, instance.instance_id) == ("f", "7", "uuid:2")
    assert (instance.deprecated_id, instance.instance_name) == ("uuid:1", "2026-11-20 Na Pai")


def test_root_level_instance_id_and_missing_version() -> None:
    instance = parse_instance(b'<data id="f"><instanceID>uuid:9</instanceID></data>')
    assert (instance.version, instance.instance_id, instance.deprecated_id) == ("", "uuid:9", None)


def test_missing_instance_id_is_derived_from_the_bytes_so_resends_match() -> None:
    xml = b'<data id="f" version="1"><q>1</q></data>'
    assert parse_instance(xml).instance_id == "sha256:" + hashlib.sha256(xml).hexdigest()


def test_binary_values_in_repeats_in_document_order() -> None:
    root = parse_instance(
        b'<data id="f"><photo>a.jpg</photo><people><id_photo>b.jpg</id_photo></people>'
        b"<people><id_photo/></people><people><id_photo>c.jpg</id_photo></people></data>"
    ).root
    assert binary_values(root, ["/data/photo", "/data/people/id_photo", "/data/missing"]) == [
        "a.jpg",
        "b.jpg",
        "c.jpg",
    ]


@pytest.mark.parametrize(
    "xml",
    [
        b"",
        b"not xml",
        b'<!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]><data id="f">&e;</data>',
        b"<data><meta/></data>",
    ],
    ids=["empty", "text", "external-entity", "no-id"],
)
def test_refuses_what_is_not_a_submission(xml: bytes) -> None:
    with pytest.raises(BadRequest):
        parse_instance(xml)


def test_reading_fields_keeps_no_instance_alive() -> None:
    """The fields read from an instance are remembered only while the instance lives: a server that keeps every
    instance it ever read grows by kilobytes a submission (found by bench/soak.py)."""
    instance = parse_instance(
        b'<data id="f"><a>1</a><g><b> 2 </b></g><meta><instanceID>uuid:x</instanceID></meta></data>'
    )
    assert (field_text(instance.root, "a"), field_text(instance.root, "b"), field_text(instance.root, "c")) == (
        "1",
        "2",
        None,
    )
    gone = weakref.ref(instance.root)
    del instance
    gc.collect()
    assert gone() is None
