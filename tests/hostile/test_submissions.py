"""Hostile submissions in well-formed Collect POSTs: the form, version, state, instanceID and attachments are wrong.

Each generator prepares what it needs on the live server (a first submission to collide with, an edit to be
stale) and returns the instance and attachments to send; the rows and files are compared from that point on."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from tests.collect_client import Attachment, instance_xml
from tests.hostile.checks import SUBMISSION_TABLES, Case, openrosa_message, params
from tests.hostile.world import World

JPEG = b"\xff\xd8\xff\xe0" + b"hostile" * 300
Sent = tuple[bytes, list[Attachment]]


def fresh() -> str:
    """A new instanceID."""
    return f"uuid:{uuid.uuid4()}"


def stored(world: World, xml: bytes, attachments: list[Attachment] | None = None) -> None:
    """Send a submission the case then collides with."""
    assert world.client.post(xml, attachments or []).status_code == 201


def reuse_with_other_xml(world: World) -> Sent:
    """The same instanceID, other answers (a second phone with a cloned instance, or a tampered resend)."""
    instance_id = fresh()
    stored(world, instance_xml(instance_id=instance_id, total=1))
    return instance_xml(instance_id=instance_id, total=2), []


def resend_same_xml(world: World) -> Sent:
    """A byte-identical resend: a success that changes nothing."""
    xml = instance_xml(instance_id=fresh())
    stored(world, xml)
    return xml, []


def stale_edit_resend(world: World) -> Sent:
    """The replaced version sent again after an edit."""
    first = fresh()
    stored(world, instance_xml(instance_id=first))
    stored(world, instance_xml(instance_id=fresh(), deprecated_id=first, total=5))
    return instance_xml(instance_id=first), []


def second_edit_of_one_version(world: World) -> Sent:
    """Another edit of a version already replaced."""
    first = fresh()
    stored(world, instance_xml(instance_id=first))
    stored(world, instance_xml(instance_id=fresh(), deprecated_id=first, total=5))
    return instance_xml(instance_id=fresh(), deprecated_id=first, total=6), []


def mismatched_root(world: World) -> Sent:
    """An instance of some other form wearing the demo form's id (root element and fields are not the demo's)."""
    xml = f'<registration id="demo" version="1"><email>x@example.com</email><meta><instanceID>{fresh()}</instanceID>'
    return (xml + "</meta></registration>").encode(), []


def not_referenced(world: World) -> Sent:
    """An attachment no binary field names: ignored, never stored."""
    return instance_xml(instance_id=fresh()), [Attachment("stray.jpg", JPEG + b"stray")]


def over_limit(world: World) -> Sent:
    """A photo over the 5 MB limit of the test settings."""
    return instance_xml(instance_id=fresh(), photo="big.jpg"), [Attachment("big.jpg", b"z" * 6_000_000)]


def no_instance_id(world: World) -> Sent:
    """No instanceID anywhere: the server derives one from the bytes (Central makes one up), so it is stored."""
    return instance_xml(instance_id=fresh()).replace(b"instanceID>", b"note>"), []


CASES = [
    Case("unknown-form", lambda w: (instance_xml(form_id="no_such_form"), []), 404, "no_such_form"),
    Case("wrong-version", lambda w: (instance_xml(version="999"), []), 404, "999"),
    Case("no-version-attribute", lambda w: (instance_xml().replace(b' version="1"', b""), []), 404, "phiên bản"),
    Case("closed-form", lambda w: (instance_xml(form_id="closed_form"), []), 409, "đã đóng"),
    Case(
        "mismatched-root",
        mismatched_root,
        400,
        "demo",
    ),
    Case("instance-id-reuse-other-xml", reuse_with_other_xml, 409, "nội dung khác"),
    Case("instance-id-reuse-same-xml", resend_same_xml, 201, "đã nhận"),
    Case("resend-of-replaced-version", stale_edit_resend, 409, "đã được sửa"),
    Case("second-edit-of-one-version", second_edit_of_one_version, 409, "đã được sửa"),
    Case(
        "edit-of-unknown-submission",
        lambda w: (instance_xml(deprecated_id=fresh()), []),
        404,
        "phiếu gốc",
    ),
    Case("missing-instance-id", no_instance_id, 201, "đã nhận", SUBMISSION_TABLES),
    Case("attachment-not-referenced", not_referenced, 201, "đã nhận", SUBMISSION_TABLES),
    Case("attachment-over-limit", over_limit, 413, "quá lớn"),
    Case("instance-id-with-control-characters", lambda w: (instance_xml(instance_id="uuid:a\tb"), []), 400, "Mã phiếu"),
    Case("empty-instance", lambda w: (b"", []), 400, "XML"),
]


@pytest.mark.parametrize("case", params(CASES))
def test_hostile_submission(world: World, case: Case) -> None:
    xml, attachments = case.payload(world)
    before = world.state()
    response = world.client.post(xml, attachments)
    assert response.status_code == case.status, response.text[:500]
    assert case.says in openrosa_message(response, "submit_success" if case.status == 201 else "error")
    world.assert_alive()
    after = world.state()
    after.assert_nothing_half_written(before, case.changes)
    for attachment in attachments:  # the bytes of a part no field names are never kept
        assert hashlib.sha256(attachment.data).hexdigest() not in {name.rsplit("/", 1)[-1] for name in after.files}
