"""OpenRosa against a live uvicorn, with a client that behaves like ODK Collect (OPENROSA.md section D)."""

from __future__ import annotations

import hashlib
import socket
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import httpx
import pytest
from defusedxml import ElementTree
from sqlmodel import Session, select

from server.accounts.app_users import create_app_user, revoke
from server.core.models import Submission, SubmissionAttachment, SubmissionDef
from server.publishing.forms import publish_xform, set_state
from server.submissions.queries import count_submissions
from tests.collect_client import Attachment, CollectClient, instance_xml
from tests.conftest import DEMO_MEDIA, Phone, built_demo, simple_form

RESPONSE_NS = "{http://openrosa.org/http/response}"
JPEG = b"\xff\xd8\xff\xe0" + b"x" * 2000


def message(response: httpx.Response) -> str:
    """The first <message> of an OpenRosaResponse, as Collect's ResponseMessageParser reads it."""
    assert "OpenRosaResponse" in response.text
    root = ElementTree.fromstring(response.content)
    assert root.tag == f"{RESPONSE_NS}OpenRosaResponse"
    return root.find(f"{RESPONSE_NS}message").text or ""


def assert_openrosa_headers(response: httpx.Response) -> None:
    assert response.headers["x-openrosa-version"] == "1.0"
    assert int(response.headers["x-openrosa-accept-content-length"]) == 5_000_000


def defs(engine, instance_id: str | None = None) -> list[SubmissionDef]:
    with Session(engine) as session:
        query = select(SubmissionDef).order_by(SubmissionDef.id)
        if instance_id:
            query = query.where(SubmissionDef.instance_id == instance_id)
        return list(session.exec(query).all())


def attachments(engine, def_id: int) -> dict[str, str | None]:
    with Session(engine) as session:
        rows = session.exec(select(SubmissionAttachment).where(SubmissionAttachment.submission_def_id == def_id))
        return {row.name: row.sha256 for row in rows}


def count(engine) -> int:
    with Session(engine) as session:
        return count_submissions(session)


# -- form list, download, manifest, media ------------------------------------------------------------------


def test_form_list_is_what_collect_parses_with_md5_of_served_bytes(phone: Phone, collect) -> None:
    client = collect(phone.url)
    response = client.get(f"{phone.url}/formList")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert_openrosa_headers(response)
    (form,) = client.form_list()
    assert (form.form_id, form.name, form.version) == ("demo", "Biểu mẫu thử 1", "1")
    assert form.download_url == f"{phone.url}/forms/demo.xml"
    assert form.manifest_url == f"{phone.url}/forms/demo/manifest"
    body = client.get(form.download_url)
    assert body.status_code == 200
    assert body.content == built_demo("1").xform
    assert form.hash == hashlib.md5(body.content).hexdigest()


def test_manifest_and_media_are_exact_and_cacheable(phone: Phone, collect) -> None:
    client = collect(phone.url)
    (form,) = client.form_list()
    response = client.get(form.manifest_url)
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert_openrosa_headers(response)
    ((filename, md5, url),) = client.manifest(form)
    assert filename == "places.csv"
    assert url == f"{phone.url}/forms/demo/attachments/places.csv"
    media = client.get(url)
    assert media.status_code == 200
    assert media.content == DEMO_MEDIA["places.csv"]
    assert hashlib.md5(media.content).hexdigest() == md5
    assert media.headers["etag"] == f'"{md5}"'
    assert (media.headers["x-content-type-options"], media.headers["content-security-policy"]) == ("nosniff", "sandbox")
    again = client.get(url, **{"If-None-Match": media.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


def test_form_without_media_has_no_manifest_url(phone: Phone, session: Session, collect) -> None:
    bare = simple_form("bare", "3", "A bare form")
    publish_xform(session=session, store=phone.live.store, xform=bare.xform, media={})
    forms = {f.form_id: f for f in collect(phone.url).form_list()}
    assert forms["bare"].manifest_url is None
    assert list(forms) == ["bare", "demo"]  # ordered by title: "A bare form" < "Biểu mẫu thử 1"


def test_new_version_changes_hash_and_closed_forms_are_not_listed(phone: Phone, session: Session, collect) -> None:
    client = collect(phone.url)
    (before,) = client.form_list()
    publish_xform(session=session, store=phone.live.store, xform=built_demo("2").xform, media=DEMO_MEDIA)
    (after,) = client.form_list()
    assert after.version == "2"
    assert after.hash != before.hash
    assert after.hash == hashlib.md5(client.get(after.download_url).content).hexdigest()
    set_state(session=session, xml_form_id="demo", state="closed")
    assert client.form_list() == []
    assert client.get(after.download_url).status_code == 404


def test_app_user_limited_to_forms_sees_and_sends_only_those(phone: Phone, session: Session, collect) -> None:
    other = simple_form("other", "1")
    publish_xform(session=session, store=phone.live.store, xform=other.xform, media={})
    _, token = create_app_user(session=session, name="Chỉ biểu mẫu khác", form_ids=["other"])
    limited = collect(phone.live.key_url(token))
    assert [f.form_id for f in limited.form_list()] == ["other"]
    assert limited.get(f"{phone.live.key_url(token)}/forms/demo.xml").status_code == 403
    (response,) = limited.send(instance_xml())
    assert response.status_code == 403
    assert "không được giao" in message(response)
    assert count(phone.live.engine) == 0


# -- submission: HEAD and POST -----------------------------------------------------------------------------


def test_head_and_get_submission_answer_204_with_size_limit(phone: Phone, collect) -> None:
    client = collect(phone.url)
    head = client.head()
    assert head.status_code == 204
    assert_openrosa_headers(head)
    assert "location" not in head.headers
    assert client.get(f"{phone.url}/submission").status_code == 204


def test_new_submission_is_201_after_it_is_stored_byte_exact(phone: Phone, collect) -> None:
    client = collect(phone.url)
    xml = instance_xml(photo="1712345678901.jpg", people=[("A", "ảnh giấy tờ 1.jpg"), ("B", None)])
    files = [Attachment("1712345678901.jpg", JPEG), Attachment("ảnh giấy tờ 1.jpg", JPEG + b"2")]
    (response,) = client.send(xml, files)
    assert response.status_code == 201
    assert_openrosa_headers(response)
    assert "đã nhận" in message(response).lower()
    (stored,) = defs(phone.live.engine)
    assert phone.live.store.read(stored.xml_sha256) == xml
    assert stored.device_id == client.device_id
    assert stored.current
    names = attachments(phone.live.engine, stored.id)
    assert names == {
        "1712345678901.jpg": hashlib.sha256(JPEG).hexdigest(),
        "ảnh giấy tờ 1.jpg": hashlib.sha256(JPEG + b"2").hexdigest(),
    }
    assert phone.live.store.read(names["ảnh giấy tờ 1.jpg"]) == JPEG + b"2"


def test_resend_of_identical_xml_is_201_and_not_counted_twice(phone: Phone, collect) -> None:
    client = collect(phone.url)
    xml = instance_xml()
    assert [r.status_code for r in client.send(xml)] == [201]
    assert [r.status_code for r in client.send(xml)] == [201]
    assert count(phone.live.engine) == 1
    assert len(defs(phone.live.engine)) == 1


def test_same_instance_id_with_different_xml_is_409(phone: Phone, collect) -> None:
    client = collect(phone.url)
    instance_id = f"uuid:{uuid.uuid4()}"
    assert client.send(instance_xml(instance_id=instance_id, total=1))[0].status_code == 201
    (response,) = client.send(instance_xml(instance_id=instance_id, total=2))
    assert response.status_code == 409
    assert "nội dung khác" in message(response)
    (stored,) = defs(phone.live.engine)
    assert phone.live.store.read(stored.xml_sha256) == instance_xml(instance_id=instance_id, total=1)


def test_split_upload_fills_attachments_across_posts(phone: Phone, collect) -> None:
    big = [Attachment(f"{n}.jpg", bytes([n]) * 3_000_000) for n in range(3)]
    xml = instance_xml(photo="0.jpg", people=[("A", "1.jpg"), ("B", "2.jpg")])
    responses = collect(phone.url).send(xml, big)
    assert [r.status_code for r in responses] == [201, 201, 201]
    assert b"*isIncomplete*" in responses[0].request.content
    assert b"*isIncomplete*" not in responses[-1].request.content
    assert "còn chờ 2" in message(responses[0])
    (stored,) = defs(phone.live.engine)
    assert all(attachments(phone.live.engine, stored.id).values())
    assert count(phone.live.engine) == 1


def test_interrupted_split_is_completed_by_a_full_resend(phone: Phone, collect) -> None:
    client = collect(phone.url)
    xml = instance_xml(photo="0.jpg", people=[("A", "1.jpg")])
    first = client.post(xml, [Attachment("0.jpg", JPEG)], incomplete=True)
    assert first.status_code == 201
    (stored,) = defs(phone.live.engine)
    assert attachments(phone.live.engine, stored.id) == {
        "0.jpg": hashlib.sha256(JPEG).hexdigest(),
        "1.jpg": None,
    }
    responses = client.send(xml, [Attachment("0.jpg", JPEG), Attachment("1.jpg", JPEG + b"1")])
    assert [r.status_code for r in responses] == [201]
    assert all(attachments(phone.live.engine, stored.id).values())
    assert count(phone.live.engine) == 1


def test_edit_with_deprecated_id_makes_a_new_current_version(phone: Phone, collect) -> None:
    client = collect(phone.url)
    first_id = f"uuid:{uuid.uuid4()}"
    xml = instance_xml(instance_id=first_id, photo="a.jpg")
    assert client.send(xml, [Attachment("a.jpg", JPEG)])[0].status_code == 201
    edited = instance_xml(instance_id=f"uuid:{uuid.uuid4()}", deprecated_id=first_id, total=99, photo="a.jpg")
    (response,) = client.send(edited)  # the photo is not sent again: it is carried over
    assert response.status_code == 201
    old, new = defs(phone.live.engine)
    assert (old.current, new.current) == (False, True)
    assert old.submission_id == new.submission_id
    assert attachments(phone.live.engine, new.id) == {"a.jpg": hashlib.sha256(JPEG).hexdigest()}
    assert count(phone.live.engine) == 1
    with Session(phone.live.engine) as session:
        assert session.get(Submission, new.submission_id).review_state == "edited"
    (stale,) = client.send(instance_xml(instance_id=first_id, photo="a.jpg"))  # resend of the replaced version
    assert stale.status_code == 409
    (twice,) = client.send(instance_xml(instance_id=f"uuid:{uuid.uuid4()}", deprecated_id=first_id))
    assert twice.status_code == 409


# -- refusals: every error is an OpenRosaResponse with a message -------------------------------------------


def test_unknown_form_and_unknown_version_are_404(phone: Phone, collect) -> None:
    client = collect(phone.url)
    (unknown,) = client.send(instance_xml(form_id="no_such_form"))
    assert unknown.status_code == 404
    assert "no_such_form" in message(unknown)
    (version,) = client.send(instance_xml(version="999"))
    assert version.status_code == 404
    assert "999" in message(version)
    assert count(phone.live.engine) == 0


def test_closed_form_refuses_submissions_with_409(phone: Phone, session: Session, collect) -> None:
    set_state(session=session, xml_form_id="demo", state="closed")
    (response,) = collect(phone.url).send(instance_xml())
    assert response.status_code == 409
    assert "đã đóng" in message(response)
    assert_openrosa_headers(response)


def test_revoked_or_unknown_token_gets_403_at_once(phone: Phone, session: Session, collect) -> None:
    client = collect(phone.url)
    assert client.head().status_code == 204
    revoke(session=session, app_user_id=phone.app_user_id)
    for response in (client.get(f"{phone.url}/formList"), client.post(instance_xml(), [])):
        assert response.status_code == 403
        assert "thu hồi" in message(response)
    assert client.head().status_code == 403
    for token in ("x" * 64, "short", "a" * 63 + "!"):
        assert collect(phone.live.key_url(token)).get(f"{phone.live.key_url(token)}/formList").status_code == 403
    assert count(phone.live.engine) == 0


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"<data version='1'><meta><instanceID>uuid:1</instanceID></meta></data>", "mã biểu mẫu"),
        (b"<data id='demo' version='1'><unclosed></data>", "không phải XML"),
        (b"", "không phải XML"),
        (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
            b"<data id='demo' version='1'>&lol2;</data>",
            "không phải XML",
        ),
    ],
    ids=["no-form-id", "malformed", "empty", "entity-expansion"],
)
def test_bad_xml_is_400_and_nothing_is_stored(phone: Phone, body: bytes, expected: str, collect) -> None:
    response = collect(phone.url).post(body, [])
    assert response.status_code == 400
    assert expected in message(response)
    assert count(phone.live.engine) == 0


def test_missing_xml_submission_file_or_not_multipart_is_400(phone: Phone, collect) -> None:
    client = collect(phone.url)
    url = f"{phone.url}/submission"
    no_part = client.http.post(url, files={"photo.jpg": ("photo.jpg", JPEG, "image/jpeg")}, headers=client.headers())
    assert no_part.status_code == 400
    assert "xml_submission_file" in message(no_part)
    raw = client.http.post(url, content=instance_xml(), headers={**client.headers(), "Content-Type": "text/xml"})
    assert raw.status_code == 400
    assert "multipart" in message(raw)


def test_body_over_the_limit_is_413_declared_or_streamed(phone: Phone, collect) -> None:
    client = collect(phone.url)
    too_big = client.post(instance_xml(photo="big.jpg"), [Attachment("big.jpg", b"z" * 6_000_000)])
    assert too_big.status_code == 413
    assert "quá lớn" in message(too_big)

    def chunks():
        boundary = "b0undary"
        yield (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="xml_submission_file"; '
                f'filename="a.xml"\r\nContent-Type: text/xml\r\n\r\n'
            ).encode()
            + instance_xml()
            + b"\r\n"
        )
        yield f'--{boundary}\r\nContent-Disposition: form-data; name="x.jpg"; filename="x.jpg"\r\n\r\n'.encode()
        for _ in range(7):
            yield b"z" * 1_000_000

    streamed = client.http.post(
        f"{phone.url}/submission",
        content=chunks(),
        headers={**client.headers(), "Content-Type": "multipart/form-data; boundary=b0undary"},
    )
    assert streamed.status_code == 413
    assert count(phone.live.engine) == 0


def test_simultaneous_resends_store_one_submission(phone: Phone, collect) -> None:
    """Two phones' worth of the same instance at once (a retry racing the original) is still one record."""
    xml = instance_xml(photo="p.jpg")
    clients = [collect(phone.url) for _ in range(6)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(lambda c: c.post(xml, [Attachment("p.jpg", JPEG)]), clients))
    assert [r.status_code for r in responses] == [201] * 6
    assert count(phone.live.engine) == 1
    (stored,) = defs(phone.live.engine)
    assert attachments(phone.live.engine, stored.id) == {"p.jpg": hashlib.sha256(JPEG).hexdigest()}


# -- robustness: slow phones, racing edits, hostile values -------------------------------------------------


def test_slow_uploads_hold_no_database_connection(phone: Phone, collect) -> None:
    """More half-sent POSTs than the connection pool holds (15) must not block other phones."""
    url = urlsplit(phone.url)
    started, release = threading.Barrier(21), threading.Event()
    results: list[int] = []

    def slow_phone(n: int) -> None:
        boundary = f"slow{n}"
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="xml_submission_file"; filename="s.xml"\r\n'
                f"Content-Type: text/xml\r\n\r\n"
            ).encode()
            + instance_xml()
            + f"\r\n--{boundary}--\r\n".encode()
        )
        head = (
            f"POST {url.path}/submission HTTP/1.1\r\nHost: {url.netloc}\r\nX-OpenRosa-Version: 1.0\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        with socket.create_connection((url.hostname, url.port), timeout=60) as sock:
            sock.sendall(head + body[:100])
            started.wait()
            release.wait(60)
            sock.sendall(body[100:])
            results.append(int(sock.recv(65536).split(b" ", 2)[1]))

    threads = [threading.Thread(target=slow_phone, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    started.wait()
    try:
        client = collect(phone.url)
        assert client.get(f"{phone.url}/formList").status_code == 200
        assert client.head().status_code == 204
    finally:
        release.set()
        for thread in threads:
            thread.join()
    assert results == [201] * 20
    assert count(phone.live.engine) == 20


def test_two_edits_of_one_version_at_once_leave_one_current_version(phone: Phone, collect) -> None:
    for _ in range(5):
        first_id = f"uuid:{uuid.uuid4()}"
        assert collect(phone.url).send(instance_xml(instance_id=first_id))[0].status_code == 201
        edits = [instance_xml(instance_id=f"uuid:{uuid.uuid4()}", deprecated_id=first_id, total=n) for n in (1, 2)]
        clients = [collect(phone.url) for _ in edits]
        barrier = threading.Barrier(2)

        def send(pair: tuple[CollectClient, bytes], barrier: threading.Barrier = barrier) -> int:
            barrier.wait()
            return pair[0].post(pair[1], []).status_code

        with ThreadPoolExecutor(max_workers=2) as pool:
            statuses = sorted(pool.map(send, zip(clients, edits, strict=True)))
        assert statuses == [201, 409]
    with Session(phone.live.engine) as session:
        current = session.exec(select(SubmissionDef.submission_id).where(SubmissionDef.current == True)).all()  # noqa: E712
    assert len(current) == len(set(current)) == 5


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        (instance_xml(instance_id="uuid:" + "x" * 300), "instanceID"),
        (instance_xml(photo="p" * 300 + ".jpg"), "file name"),
        (instance_xml(photo="../../etc/passwd"), "file name"),
        (instance_xml(photo="a\\b.jpg"), "file name"),
    ],
    ids=["long-instance-id", "long-file-name", "path-as-file-name", "backslash"],
)
def test_ids_and_file_names_phones_never_send_are_400(phone: Phone, collect, xml: bytes, expected: str) -> None:
    response = collect(phone.url).post(xml, [])
    assert response.status_code == 400
    assert expected in message(response)
    assert count(phone.live.engine) == 0


def test_odd_device_ids_and_content_types_are_stored_cleaned(phone: Phone, collect) -> None:
    client = collect(phone.url)
    client.device_id = "collect:\x00" + "d" * 400
    photo = Attachment("p.jpg", JPEG, content_type="image/jpeg; x=" + "y" * 400)
    (response,) = client.send(instance_xml(photo="p.jpg"), [photo])
    assert response.status_code == 201
    (stored,) = defs(phone.live.engine)
    assert stored.device_id == ("collect:" + "d" * 400)[:255]


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data; boundary=xyz", b"garbage"),
        ("multipart/form-data", b"--x\r\n\r\n"),
        (
            "multipart/form-data; boundary=b",
            b"".join(
                f'--b\r\nContent-Disposition: form-data; name="f{n}"; filename="f{n}"\r\n\r\nx\r\n'.encode()
                for n in range(200)
            )
            + b"--b--\r\n",
        ),
    ],
    ids=["garbage", "no-boundary", "too-many-parts"],
)
def test_broken_multipart_is_an_openrosa_400(phone: Phone, collect, content_type: str, body: bytes) -> None:
    client = collect(phone.url)
    response = client.http.post(
        f"{phone.url}/submission", content=body, headers={**client.headers(), "Content-Type": content_type}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert message(response)


def test_another_openrosa_version_is_refused_and_none_is_tolerated(phone: Phone, collect) -> None:
    client = collect(phone.url)
    other = client.http.get(f"{phone.url}/formList", headers={"X-OpenRosa-Version": "2.0"})
    assert other.status_code == 400
    assert "2.0" in message(other)
    assert client.http.get(f"{phone.url}/formList").status_code == 200
    form_xml = client.http.get(f"{phone.url}/forms/demo.xml", headers={"X-OpenRosa-Version": "2.0"})
    assert form_xml.status_code == 200  # a plain download
