"""Who gets which export of a form: staff get Central's layout; viewers a de-identified extract of a form that is
not sensitive, and nothing row by row from a sensitive one (its aggregates are on the dashboard and the map)."""

from __future__ import annotations

from sqlmodel import Session

from exports.policy import CENTRAL, ExportPolicy, deidentified
from server.core.errors import Forbidden
from server.core.models import WebUser
from server.places.media import DATASETS
from server.publishing.forms import get_form

STAFF = frozenset({"admin", "coordinator"})
# The base of what a de-identified export leaves out, wherever these names appear (ours, and the usual ones of an
# uploaded form): free text about a case, exact birth years and ages, ethnicity (aggregates only), a person's village
# point, session links, names, phones, ID and card numbers. Everything computed from them, shown only when they hold
# a value or checked against them goes too: read from the form's binds (exports.policy), not listed here.
IDENTIFYING = frozenset({
    "summary", "birth_year", "birth_date", "ethnicity", "session_link", "village_point", "member_name", "card_number",
    "name", "full_name", "phone", "phone_number", "id_number",
})  # fmt: skip
IDENTIFYING_IN = {"tgpl_person": frozenset({"age"})}  # the exact age a person states when the birth year is unknown
VILLAGE_LISTS = frozenset(name for name, dataset in DATASETS.items() if dataset == "villages")


def deidentified_policy(xml_form_id: str, xform: bytes) -> ExportPolicy:
    """The de-identified export of a form (viewers, `tgpl export ... --deidentified`)."""
    identifying = IDENTIFYING | IDENTIFYING_IN.get(xml_form_id, frozenset())
    return deidentified(xform, identifying=identifying, village_lists=VILLAGE_LISTS)


def export_policy(session: Session, *, user: WebUser, xml_form_id: str, xform: bytes) -> ExportPolicy:
    """What a signed-in user may export of a form's rows: staff all of it, anyone else a de-identified extract of a
    form that is not sensitive; a sensitive form's rows are refused to them (Forbidden)."""
    if not may_export_rows(user=user, sensitive=get_form(session, xml_form_id).sensitive):
        raise Forbidden(
            f"Biểu mẫu {xml_form_id} chứa dữ liệu cá nhân nhạy cảm: người xem chỉ được xem số liệu tổng hợp "
            "(trang Tổng quan, Bản đồ), không được tải từng phiếu.",
            f"Form {xml_form_id} holds sensitive personal data: viewers get aggregate figures only (dashboard, map), "
            "not its records.",
        )
    return CENTRAL if user.role in STAFF else deidentified_policy(xml_form_id, xform)


def may_export_rows(*, user: WebUser, sensitive: bool) -> bool:
    """Whether a user may download a form's rows at all (what the downloads page offers)."""
    return user.role in STAFF or not sensitive
