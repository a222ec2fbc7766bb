"""Filled instances of a built XForm, shaped as JavaRosa serialises them, for tests that send real forms."""

from __future__ import annotations

import copy
import uuid
import xml.etree.ElementTree as ET  # our own built XForms only, never outside input

from forms.xform import local

JR_TEMPLATE = "{http://openrosa.org/javarosa}template"

# A typical session of the session form at Bằng Thành (01864: several pre-2025 communes went into it), as the
# statement-count test and the ingest bench send it; NOT_LISTED makes it propose a village "not in the list".
SESSION_COMMUNE = "01864"
SESSION_ANSWERS = {
    "session_type": "truyen_thong",
    "session_date": "2026-11-20",
    "commune": SESSION_COMMUNE,
    "gps": "22.6576 105.671 420 6",
    "participants_total": "45",
    "participants_women": "20",
    "participants_ethnic": "40",
    "leaflets": "60",
    "questions_total": "7",
    "requests_received": "3",
    "requests_accepted": "1",
    "referrals": "0",
    "evening": "khong",
}
NOT_LISTED = {"village": "khac", "village_name": "Thôn Mới", "village_point": "22.66 105.67 400 5"}


def fill(
    xform: bytes,
    values: dict[str, str],
    *,
    repeats: dict[str, list[dict[str, str]]] | None = None,
    instance_id: str | None = None,
    deprecated_id: str | None = None,
    drop: tuple[str, ...] = (),
) -> bytes:
    """The form's primary instance with values set by field name; each repeat gets one copy per dict given;
    fields in drop are left out, as Collect leaves out non-relevant questions."""
    model = next(e for e in ET.fromstring(xform).iter() if local(e.tag) == "model")  # noqa: S314
    root = copy.deepcopy(next(iter(next(e for e in model if local(e.tag) == "instance"))))
    for name, rows in (repeats or {}).items():
        parent = next(p for p in root.iter() if any(local(c.tag) == name for c in p))
        copies = [c for c in parent if local(c.tag) == name]  # pyxform writes a jr:template and a first instance
        template = copies[0]
        position = list(parent).index(template)
        for copy_ in copies:
            parent.remove(copy_)
        for offset, row in enumerate(rows):
            item = copy.deepcopy(template)
            item.attrib.pop(JR_TEMPLATE, None)
            for element in item.iter():
                if local(element.tag) in row:
                    element.text = row[local(element.tag)]
            parent.insert(position + offset, item)
    for element in root.iter():
        if local(element.tag) in values:
            element.text = values[local(element.tag)]
    for parent in list(root.iter()):
        for child in list(parent):
            if local(child.tag) in drop:
                parent.remove(child)
    meta = next(e for e in root.iter() if local(e.tag) == "meta")
    next(e for e in meta if local(e.tag) == "instanceID").text = instance_id or f"uuid:{uuid.uuid4()}"
    if deprecated_id:
        ET.SubElement(meta, "deprecatedID").text = deprecated_id
    for element in root.iter():
        element.tag = local(element.tag)  # JavaRosa writes the form's default namespace as none
    return ET.tostring(root, encoding="utf-8")
