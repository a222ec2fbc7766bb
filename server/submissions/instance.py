"""Read a submitted instance (hardened XML parsing): form id, version, instanceID, edits, file names."""

from __future__ import annotations

import hashlib
import re
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from xml.etree.ElementTree import Element, TreeBuilder

from defusedxml import DefusedXmlException, DTDForbidden, ElementTree
from defusedxml.ElementTree import DefusedXMLParser

from forms.xform import local
from server.core.errors import BadRequest

MAX_ID = 255
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
UNSAFE_NAME = re.compile(r"[/\\\x00-\x1f\x7f]")
MAX_DEPTH = 100  # XLSForm groups and repeats nest a few levels; JavaRosa itself recurses on depth


class _TooDeep(Exception):
    """The instance nests deeper than any form does."""


class _DepthLimitedBuilder(TreeBuilder):
    """Builds the tree, stopping at MAX_DEPTH while parsing (before a hostile tree is ever built in memory)."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0

    def start(self, tag: str, attrs: dict[str, str], /) -> Element:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _TooDeep
        return super().start(tag, attrs)

    def end(self, tag: str, /) -> Element:
        self.depth -= 1
        return super().end(tag)


@dataclass(frozen=True, slots=True)
class Instance:
    """What the server reads from a submission's XML; the bytes themselves are stored untouched."""

    form_id: str
    version: str
    instance_id: str
    deprecated_id: str | None
    instance_name: str | None
    root: Element


def parse_instance(xml: bytes) -> Instance:
    """Parse submission XML; BadRequest when it is not XML (or has a DOCTYPE), or names no form."""
    root = _parse(xml)
    form_id = (root.get("id") or "").strip()
    if not form_id or len(form_id) > MAX_ID:
        raise BadRequest(
            "Phiếu không ghi mã biểu mẫu hợp lệ (thuộc tính id), máy chủ không biết phiếu thuộc biểu mẫu nào.",
            f"The submission has no form id (root id attribute) of at most {MAX_ID} characters.",
        )
    version = (root.get("version") or "").strip()
    if len(version) > MAX_ID:
        raise BadRequest(
            "Phiên bản biểu mẫu ghi trong phiếu không hợp lệ.",
            f"The form version (root version attribute) is longer than {MAX_ID} characters.",
        )
    meta = _child(root, "meta")
    instance_id = _text(_child(meta, "instanceID")) or _text(_child(root, "instanceID"))
    if not instance_id:
        # No instanceID: derive one from the bytes so that a resend of the same XML is not counted twice.
        instance_id = "sha256:" + hashlib.sha256(xml).hexdigest()
    deprecated_id = _text(_child(meta, "deprecatedID"))
    for label, value in (("instanceID", instance_id), ("deprecatedID", deprecated_id)):
        if value is not None and (len(value) > MAX_ID or CONTROL.search(value)):
            raise BadRequest(
                f"Mã phiếu ({label}) không hợp lệ.", f"The {label} is longer than {MAX_ID} or has control characters."
            )
    name = _text(_child(meta, "instanceName"))
    return Instance(
        form_id=form_id,
        version=version,
        instance_id=instance_id,
        deprecated_id=deprecated_id,
        instance_name=CONTROL.sub("", name) if name else None,
        root=root,
    )


def _parse(xml: bytes) -> Element:
    """The instance tree, with no DOCTYPE (so no entity of any kind, internal or external) and at most MAX_DEPTH
    levels, both refused while parsing, before a hostile tree is built in memory."""
    parser = DefusedXMLParser(target=_DepthLimitedBuilder(), forbid_dtd=True)
    try:
        parser.feed(xml)
        return parser.close()  # type: ignore[no-any-return]
    except DTDForbidden as error:
        raise BadRequest(
            "Phiếu gửi lên không phải XML hợp lệ: có khai báo DOCTYPE (ODK Collect không bao giờ gửi); "
            "máy chủ chưa lưu gì.",
            "The submission is not acceptable XML: it has a DOCTYPE declaration, which Collect never sends "
            "(entities and DTDs are refused); nothing was stored.",
        ) from error
    except _TooDeep as error:
        raise BadRequest(
            f"Phiếu gửi lên không phải XML hợp lệ: lồng nhau quá sâu (hơn {MAX_DEPTH} cấp); máy chủ chưa lưu gì.",
            f"The submission nests deeper than {MAX_DEPTH} levels; nothing was stored.",
        ) from error
    except (ElementTree.ParseError, DefusedXmlException, ValueError) as error:
        raise BadRequest(
            "Phiếu gửi lên không phải XML hợp lệ, máy chủ chưa lưu gì.",
            f"The submission is not well-formed XML; nothing was stored ({str(error)[:200]}).",
        ) from error


def binary_values(root: Element, paths: Iterable[str]) -> list[str]:
    """File names held by binary fields at these absolute paths (every repeat instance), in document order."""
    names: list[str] = []
    for path in paths:
        steps = [step for step in path.split("/") if step][1:]  # drop the root's own name
        level = [root]
        for step in steps:
            level = [child for node in level for child in node if local(child.tag) == step]
        for node in level:
            value = (node.text or "").strip()
            if value and not _plain_file_name(value):
                raise BadRequest(
                    f"Tên tệp đính kèm không hợp lệ: {value[:80]!r}.",
                    f"Attachment names must be plain file names of at most {MAX_ID} characters: {value[:80]!r}.",
                )
            if value and value not in names:
                names.append(value)
    return names


def _plain_file_name(name: str) -> bool:
    """What Collect writes in a binary field: a bare file name, never a path."""
    return len(name) <= MAX_ID and name not in {".", ".."} and not UNSAFE_NAME.search(name)


def _child(element: Element | None, name: str) -> Element | None:
    if element is None:
        return None
    return next((child for child in element if local(child.tag) == name), None)


def _text(element: Element | None) -> str | None:
    if element is None:
        return None
    return (element.text or "").strip() or None


# The texts of an instance's fields, while the instance lives. Texts, not elements: the root is one of its own
# elements, and a value that holds its key keeps it (and the whole tree) in a WeakKeyDictionary for ever.
_FIELDS: weakref.WeakKeyDictionary[Element, dict[str, str | None]] = weakref.WeakKeyDictionary()


def field_text(root: Element, name: str) -> str | None:
    """The text of the first field with this name anywhere in the instance (XLSForm names are unique), or None
    when it is absent (non-relevant) or empty."""
    fields = _FIELDS.get(root)
    if fields is None:  # one walk of the instance serves every field read from it
        fields = {}
        for element in root.iter():
            tag = local(element.tag)
            if tag not in fields:
                fields[tag] = _text(element)
        _FIELDS[root] = fields
    return fields.get(name)
