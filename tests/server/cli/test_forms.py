"""`tgpl forms sensitive`: an administrator marks a form sensitive (viewers get aggregates only) or not, audited."""

from __future__ import annotations

from sqlmodel import Session, col, select

from server.core.models import Audit
from server.core.storage import BlobStore
from server.publishing.forms import publish_xform
from tests.cli_runner import tgpl, tgpl_json
from tests.conftest import simple_form


def test_forms_sensitive_on_and_off(env: dict[str, str], session: Session, store: BlobStore) -> None:
    for form_id in ("tgpl_person", "notes"):
        publish_xform(session=session, store=store, xform=simple_form(form_id, "1").xform, media={})
    listed = {f["form_id"]: f["sensitive"] for f in tgpl_json(env, "forms", "list")}
    assert listed == {"tgpl_person": True, "notes": False}  # the person form is, from its first publish
    assert tgpl_json(env, "forms", "sensitive", "notes", "--on") == {"form_id": "notes", "sensitive": True}
    assert "notes\t1\topen sensitive\tnotes" in tgpl(env, "forms", "list").stdout
    assert tgpl(env, "forms", "sensitive", "tgpl_person", "--off").stdout == "tgpl_person: not sensitive\n"
    assert {f["form_id"]: f["sensitive"] for f in tgpl_json(env, "forms", "list")} == {"tgpl_person": False,
                                                                                       "notes": True}  # fmt: skip
    unknown = tgpl(env, "forms", "sensitive", "nope", "--on", "--json", ok=False)
    assert unknown.returncode == 1
    assert "nope" in unknown.stderr
    assert tgpl(env, "forms", "sensitive", "notes", ok=False).returncode == 2  # --on or --off is required
    session.expire_all()
    audit = session.exec(select(Audit.action, Audit.actor, Audit.subject).where(col(Audit.action).startswith("form.s")))
    assert list(audit) == [
        ("form.sensitive.on", "cli", "form:notes"),
        ("form.sensitive.off", "cli", "form:tgpl_person"),
    ]
