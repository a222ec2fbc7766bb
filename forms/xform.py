"""Read what the server needs from a built XForm: id, version, title, binary fields and media references."""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from defusedxml import ElementTree

from server.core.errors import FormInvalid

XFORMS_NS = "http://www.w3.org/2002/xforms"
MEDIA_REF = re.compile(r"^jr://(?:images|audio|video|file|file-csv)/(?P<name>[^/]+)$")


@dataclass(frozen=True, slots=True)
class XFormInfo:
    """The facts of one XForm that publishing and submission handling rely on."""

    form_id: str
    version: str
    title: str
    root: str  # the primary instance's root element (local name), e.g. data
    binary_paths: tuple[str, ...]  # absolute instance paths, e.g. /data/photo
    media: tuple[str, ...]  # file names referenced as jr://images/..., jr://file-csv/...


def local(tag: str) -> str:
    """The local name of a (possibly namespaced) ElementTree tag."""
    return tag.rsplit("}", 1)[-1]


def read_xform(xform: bytes) -> XFormInfo:
    """Parse an XForm (hardened parser) and return its id, version, title, binary fields and media files."""
    try:
        root = ElementTree.fromstring(xform)
    except ElementTree.ParseError as error:
        raise FormInvalid("Tệp XForm không phải XML hợp lệ.", f"The XForm is not well-formed XML: {error}") from error
    model = _first(root, "model")
    instance = _first(model, "instance") if model is not None else None
    data = next(iter(instance), None) if instance is not None else None
    if data is None or not data.get("id"):
        raise FormInvalid("XForm thiếu mã biểu mẫu (id).", "The XForm has no primary instance with an id.")
    title_element = _first(root, "title")
    title = (title_element.text or "").strip() if title_element is not None else ""
    binary = tuple(
        bind.get("nodeset", "")
        for bind in model.iter(f"{{{XFORMS_NS}}}bind")  # type: ignore[union-attr]
        if bind.get("type", "").split(":")[-1] == "binary" and bind.get("nodeset")
    )
    return XFormInfo(
        form_id=data.get("id", ""),
        version=data.get("version", ""),
        root=local(data.tag),
        title=title or data.get("id", ""),
        binary_paths=binary,
        media=tuple(sorted(_media_names(root))),
    )


def _first(element: Element, name: str) -> Element | None:
    return next((e for e in element.iter() if local(e.tag) == name), None)


def _media_names(root: Element) -> set[str]:
    names = set()
    for element in root.iter():
        for value in (element.text, *element.attrib.values()):
            match = MEDIA_REF.match((value or "").strip())
            if match:
                names.add(match.group("name"))
    return names
