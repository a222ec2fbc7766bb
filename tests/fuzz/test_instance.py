"""Properties of the submission instance reader (server/submissions/instance.py) over generated XML and bytes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pytest
from defusedxml import ElementTree
from hypothesis import given
from hypothesis import strategies as st

from server.core.errors import BadRequest
from server.submissions.instance import CONTROL, MAX_ID, binary_values, field_text, parse_instance
from tests.fuzz.budget import bounded

RESERVED = {"data", "meta", "instanceID", "deprecatedID", "instanceName", "photo", "people", "id_photo"}
NAMESPACES = (None, "http://opendatakit.org/submissions", "http://www.w3.org/2002/xforms", "urn:tgpl:thử")
# Every character XML 1.0 allows, from every Unicode plane (XML has no way to carry the others, even escaped).
XML_CHAR = st.one_of(
    st.sampled_from("\t\n\r "),
    st.characters(min_codepoint=0x21, max_codepoint=0xD7FF),
    st.characters(min_codepoint=0xE000, max_codepoint=0xFFFD),
    st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF),
)
XML_TEXT = st.text(XML_CHAR, max_size=40)
LETTERS = r"A-Za-z_\u00C0-\u00D6\u1EA0-\u1EF9"  # ASCII and Vietnamese letters
NAMES = st.from_regex(rf"[{LETTERS}][{LETTERS}0-9.\-]{{0,12}}", fullmatch=True)
ELEMENT_NAMES = NAMES.filter(lambda name: name not in RESERVED and not name.lower().startswith("xml"))


def text_escape(value: str) -> str:
    """Element text as a serialiser must write it so that a parser gives it back exactly (CR included)."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def attr_escape(value: str) -> str:
    """An attribute value that survives attribute-value normalisation exactly."""
    return text_escape(value).replace('"', "&quot;").replace("\t", "&#9;").replace("\n", "&#10;")


@dataclass(frozen=True)
class Node:
    """A generated field (text) or group (children), repeated `copies` times in a row like a repeat."""

    name: str
    text: str | None
    children: tuple[Node, ...]
    copies: int

    def xml(self) -> str:
        """The node's XML, every copy."""
        inner = text_escape(self.text) if self.text is not None else "".join(child.xml() for child in self.children)
        return f"<{self.name}>{inner}</{self.name}>" * self.copies


FIELDS = st.builds(Node, ELEMENT_NAMES, XML_TEXT, st.just(()), st.integers(1, 2))
TREES = st.recursive(
    FIELDS,
    lambda inner: st.builds(Node, ELEMENT_NAMES, st.none(), st.lists(inner, max_size=4).map(tuple), st.integers(1, 3)),
    max_leaves=12,
)
SAFE_FILE = st.text(XML_CHAR.filter(lambda c: c not in "/\\" and not CONTROL.match(c)), min_size=1, max_size=30).map(
    lambda stem: f"{stem}.jpg"
)
UNSAFE_FILE = st.sampled_from(
    ["../etc/passwd", "a/b.jpg", "a\\b.jpg", ".", "..", "x" * (MAX_ID + 1), "p\thoto.jpg", "ảnh\n1.jpg"]
)
FILE_VALUE = st.one_of(st.just(""), st.just("  "), SAFE_FILE, SAFE_FILE, SAFE_FILE, UNSAFE_FILE)


@dataclass(frozen=True)
class Doc:
    """A generated submission and what reading it must give."""

    body: bytes
    form_id: str
    version: str | None
    meta_id: str | None
    root_id: str | None
    deprecated_id: str | None
    instance_name: str | None
    fields: tuple[Node, ...]
    files: tuple[str, ...]  # photo, then id_photo of each people repeat, in document order


@st.composite
def documents(draw: st.DrawFn) -> Doc:
    """A well-formed instance as Collect could write it, with arbitrary ids, groups, repeats and text."""
    form_id = draw(st.one_of(NAMES, XML_TEXT))
    version = draw(st.none() | XML_TEXT)
    namespace = draw(st.sampled_from(NAMESPACES))
    meta_id, root_id, deprecated_id, instance_name = (draw(st.none() | XML_TEXT) for _ in range(4))
    if draw(st.booleans()):
        meta_id = "uuid:" + draw(st.uuids()).hex if draw(st.booleans()) else draw(XML_TEXT)
    fields = tuple(draw(st.lists(TREES, max_size=5)))
    photo = draw(FILE_VALUE)
    people = draw(st.lists(FILE_VALUE, max_size=4))
    meta = "".join(
        f"<{tag}>{text_escape(value)}</{tag}>"
        for tag, value in (("instanceID", meta_id), ("deprecatedID", deprecated_id), ("instanceName", instance_name))
        if value is not None
    )
    children = [node.xml() for node in fields]
    children.insert(draw(st.integers(0, len(children))), f"<photo>{text_escape(photo)}</photo>")
    children.append("".join(f"<people><id_photo>{text_escape(name)}</id_photo></people>" for name in people))
    children.insert(draw(st.integers(0, len(children))), f"<meta>{meta}</meta>")
    if root_id is not None:
        children.insert(draw(st.integers(0, len(children))), f"<instanceID>{text_escape(root_id)}</instanceID>")
    attributes = f' id="{attr_escape(form_id)}"'
    if version is not None:
        attributes += f' version="{attr_escape(version)}"'
    if namespace:
        attributes += f' xmlns="{namespace}" xmlns:jr="http://openrosa.org/javarosa"'
    encoding = draw(st.sampled_from(("utf-8", "utf-8", "utf-16")))
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>' if draw(st.booleans()) or encoding != "utf-8" else ""
    text = f"{declaration}<data{attributes}>{''.join(children)}</data>"
    return Doc(text.encode(encoding), form_id, version, meta_id, root_id, deprecated_id, instance_name, fields,
               (photo, *people))  # fmt: skip


def stripped(value: str | None) -> str | None:
    """What the reader keeps of an element's text: stripped, and None when nothing is left."""
    return (value or "").strip() or None


def refused_id(value: str | None) -> bool:
    """An id a phone never sends: too long or with control characters."""
    return value is not None and (len(value) > MAX_ID or CONTROL.search(value) is not None)


@given(documents())
@bounded(120)
def test_well_formed_instances_read_back_exactly(doc: Doc) -> None:
    instance_id = stripped(doc.meta_id) or stripped(doc.root_id) or "sha256:" + hashlib.sha256(doc.body).hexdigest()
    deprecated_id = stripped(doc.deprecated_id)
    if not doc.form_id.strip() or refused_id(instance_id) or refused_id(deprecated_id):
        with pytest.raises(BadRequest) as refused:
            parse_instance(doc.body)
        assert refused.value.status == 400
        return
    instance = parse_instance(doc.body)
    assert instance.form_id == doc.form_id.strip()
    assert instance.version == (doc.version or "").strip()
    assert instance.instance_id == instance_id
    assert instance.deprecated_id == deprecated_id
    name = stripped(doc.instance_name)
    assert instance.instance_name == (CONTROL.sub("", name) if name else None)


def unsafe_file(name: str) -> bool:
    """A binary field value that is not a bare file name: a path, a dot entry, too long or with controls."""
    return name in {".", ".."} or len(name) > MAX_ID or bool({"/", "\\"} & set(name)) or bool(CONTROL.search(name))


def flatten(nodes: tuple[Node, ...]) -> list[Node]:
    """Every generated node in document order (each copy of a repeat)."""
    return [flat for node in nodes for _ in range(node.copies) for flat in (node, *flatten(node.children))]


@given(documents())
@bounded(80)
def test_field_text_and_binary_values_follow_the_document(doc: Doc) -> None:
    root = ElementTree.fromstring(doc.body)
    for node in flatten(doc.fields):
        first = next(n for n in flatten(doc.fields) if n.name == node.name)
        assert field_text(root, node.name) == stripped(first.text)
    paths = ["/data/photo", "/data/people/id_photo"]
    names = [name.strip() for name in doc.files if name.strip()]
    if any(unsafe_file(name) for name in names):
        with pytest.raises(BadRequest, match="file name"):
            binary_values(root, paths)
        return
    assert binary_values(root, paths) == list(dict.fromkeys(names))


def read_or_refuse(body: bytes) -> None:
    """Read body; the only refusal allowed is the project's 400, and what is read keeps the reader's promises."""
    try:
        instance = parse_instance(body)
    except BadRequest as error:  # any other exception fails the test
        refusal: BadRequest | None = error
    else:
        refusal = None
    if refusal is not None:
        assert (refusal.status, bool(refusal.vi), bool(refusal.en)) == (400, True, True)
        return
    assert instance.form_id
    assert instance.form_id == instance.form_id.strip()
    assert instance.version == instance.version.strip()
    for value in (instance.instance_id, instance.deprecated_id):
        assert value is None or (0 < len(value) <= MAX_ID and not CONTROL.search(value))
    assert instance.instance_name is None or not CONTROL.search(instance.instance_name)


@given(st.binary(max_size=300))
@bounded(300)
def test_arbitrary_bytes_are_read_or_refused_with_a_400(body: bytes) -> None:
    read_or_refuse(body)


MARKUP = [b"<", b"&", b"]]>", b"<!--", b"\x00", b"<![CDATA[", b"&#0;", b"&#x10FFFF;", b"\xef\xbb\xbf"]


@st.composite
def damaged(draw: st.DrawFn) -> bytes:
    """A well-formed instance with a few bytes cut, inserted or changed anywhere, or truncated."""
    body = bytearray(draw(documents()).body)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(body)))
        action = draw(st.sampled_from(("cut", "insert", "change", "truncate")))
        if action == "cut":
            del body[at : at + draw(st.integers(1, 8))]
        elif action == "insert":
            body[at:at] = draw(st.binary(min_size=1, max_size=8) | st.sampled_from(MARKUP))
        elif action == "change" and at < len(body):
            body[at] = draw(st.integers(0, 255))
        elif action == "truncate":
            del body[at:]
    return bytes(body)


@given(damaged())
@bounded(100)
def test_damaged_instances_are_read_or_refused_with_a_400(body: bytes) -> None:
    read_or_refuse(body)


DOCTYPES = st.sampled_from(
    [
        "<!DOCTYPE data>",
        '<!DOCTYPE data SYSTEM "http://127.0.0.1:9/data.dtd">',
        '<!DOCTYPE data PUBLIC "-//tgpl//x//EN" "data.dtd">',
        "<!DOCTYPE data []>",
        '<!DOCTYPE data [<!ATTLIST data id CDATA "demo" version CDATA "1">]>',
        "<!DOCTYPE data [<!ELEMENT data ANY>]>",
        '<!DOCTYPE data [<!ENTITY e "thôn">]>',
        '<!DOCTYPE data [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE data [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]>',
        '<!DOCTYPE data [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
        '<!DOCTYPE data [<!ENTITY e "x"><!NOTATION n SYSTEM "n"><!ENTITY u SYSTEM "u" NDATA n>]>',
    ]
)


@given(documents(), DOCTYPES, st.booleans())
@bounded(50)
def test_a_doctype_or_an_entity_is_always_refused(doc: Doc, doctype: str, use_entity: bool) -> None:
    text = doc.body.decode("utf-16" if doc.body[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8")
    declaration_end = text.index("?>") + 2 if text.startswith("<?xml") else 0
    body = text[:declaration_end] + doctype + text[declaration_end:]
    if use_entity and "ENTITY e " in doctype:
        body = body.replace("<photo>", "<photo>&e;", 1)
    with pytest.raises(BadRequest) as refused:
        parse_instance(body.encode("utf-8") if declaration_end == 0 else body.replace("utf-16", "utf-8").encode())
    assert "không phải XML" in refused.value.vi
