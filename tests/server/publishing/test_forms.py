"""Publishing: immutable versions, unchanged republish is a no-op, changed content needs a new version."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select

from server.core.errors import Conflict, FormInvalid, NotFound
from server.core.models import Audit, FormVersion
from server.core.storage import BlobStore
from server.publishing.forms import current_version, get_form, list_forms, publish_xform, set_sensitive, set_state
from tests.conftest import DEMO_MEDIA, built_demo, simple_form


def test_publish_then_republish_same_version_is_unchanged(session: Session, store: BlobStore) -> None:
    first = publish_xform(session=session, store=store, xform=built_demo("1").xform, media=DEMO_MEDIA)
    again = publish_xform(session=session, store=store, xform=built_demo("1").xform, media=DEMO_MEDIA)
    assert (first.changed, again.changed) == (True, False)
    assert first.md5 == again.md5
    assert len(session.exec(select(FormVersion)).all()) == 1


def test_same_version_with_other_content_is_refused(session: Session, store: BlobStore) -> None:
    publish_xform(session=session, store=store, xform=built_demo("1").xform, media=DEMO_MEDIA)
    with pytest.raises(Conflict, match="Raise the version"):
        publish_xform(session=session, store=store, xform=built_demo("1").xform, media={"places.csv": b"name,label\n"})
    changed_xml = built_demo("1").xform.replace("Biểu mẫu thử 1".encode(), "Biểu mẫu khác".encode())
    with pytest.raises(Conflict):
        publish_xform(session=session, store=store, xform=changed_xml, media=DEMO_MEDIA)


def test_new_version_becomes_current_and_old_one_is_kept(session: Session, store: BlobStore) -> None:
    publish_xform(session=session, store=store, xform=built_demo("1").xform, media=DEMO_MEDIA)
    publish_xform(session=session, store=store, xform=built_demo("2").xform, media=DEMO_MEDIA)
    form = get_form(session, "demo")
    assert current_version(session, form).version == "2"
    assert sorted(v.version for v in session.exec(select(FormVersion)).all()) == ["1", "2"]
    (summary,) = list_forms(session)
    assert [m.filename for m in summary.media] == ["places.csv"]


def test_missing_media_is_refused_naming_the_file(session: Session, store: BlobStore) -> None:
    with pytest.raises(FormInvalid, match=r"places\.csv"):
        publish_xform(session=session, store=store, xform=built_demo("1").xform, media={})
    with pytest.raises(NotFound):
        get_form(session, "demo")


@pytest.mark.parametrize("name", ["../x.csv", "a/b.csv", "", "..", "bad\nname"])
def test_media_names_cannot_be_paths(session: Session, store: BlobStore, name: str) -> None:
    with pytest.raises(FormInvalid):
        publish_xform(session=session, store=store, xform=built_demo("1").xform, media={**DEMO_MEDIA, name: b"x"})


def test_close_and_reopen(session: Session, store: BlobStore) -> None:
    publish_xform(session=session, store=store, xform=built_demo("1").xform, media=DEMO_MEDIA)
    assert set_state(session=session, xml_form_id="demo", state="closed").state == "closed"
    assert list_forms(session, open_only=True) == []
    assert set_state(session=session, xml_form_id="demo", state="open").state == "open"
    with pytest.raises(NotFound):
        set_state(session=session, xml_form_id="nope", state="closed")


def test_the_person_form_is_sensitive_from_its_first_publish_and_an_admin_marks_others(
    session: Session, store: BlobStore
) -> None:
    publish_xform(session=session, store=store, xform=simple_form("tgpl_person", "1").xform, media={})
    publish_xform(session=session, store=store, xform=built_demo("1").xform, media=DEMO_MEDIA)
    assert (get_form(session, "tgpl_person").sensitive, get_form(session, "demo").sensitive) == (True, False)
    assert set_sensitive(session=session, xml_form_id="demo", sensitive=True, actor="web_user:1").sensitive is True
    publish_xform(session=session, store=store, xform=built_demo("2").xform, media=DEMO_MEDIA)
    assert get_form(session, "demo").sensitive is True  # a new version keeps the mark
    assert set_sensitive(session=session, xml_form_id="tgpl_person", sensitive=False).sensitive is False
    audit = session.exec(
        select(Audit.action, Audit.actor, Audit.subject).where(col(Audit.action).startswith("form.sensitive"))
    ).all()
    assert list(audit) == [("form.sensitive.on", "web_user:1", "form:demo"),
                           ("form.sensitive.off", "cli", "form:tgpl_person")]  # fmt: skip
    with pytest.raises(NotFound):
        set_sensitive(session=session, xml_form_id="nope", sensitive=True)
