"""One submission's XML turned into table rows: a root row and one row per repeat instance, with Central's KEYs.

The XML is read with the standard library's C parser and tree builder, about three times as fast as defusedxml,
which hooks a pure-Python parser. That is safe only without a document type declaration, the one place an entity
can be declared: a document that may hold one, or that the C parser refuses, is read by defusedxml, which decides
(a DTD without entities is read; entities make the row unreadable).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError, fromstring

from defusedxml import DefusedXmlException, ElementTree

from exports.policy import month_of
from exports.submission import ExportSubmission, root_meta_cells, submission_date_cell
from exports.table_schema import ExportSchema, Node
from forms.xform import local

WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class SubmissionRows:
    """The rows of one submission as (table index, cells): each repeat row as its instance closes (so in document
    order within a table), the root row last."""

    rows: list[tuple[int, list[str]]]
    read: bool  # False when there was no XML to read, or it was not well-formed: the root row holds metadata only
    unreadable: bool  # XML was given but could not be parsed


def submission_rows(schema: ExportSchema, submission: ExportSubmission) -> SubmissionRows:
    """Parse one submission (hardened parser) into rows for every table of the schema."""
    root_row = [""] * len(schema.tables[0].header)
    rows: list[tuple[int, list[str]]] = []
    instance = parse_instance(submission.xml) if submission.xml else None
    if instance is not None:
        _walk(instance, schema.root, schema, root_row, submission.instance_id, submission.instance_id, {}, rows)
    root_row[0] = submission_date_cell(submission.submission_date)
    meta = schema.policy.meta_cells(root_meta_cells(submission))
    root_row[len(root_row) - len(meta) :] = meta
    rows.append((0, root_row))
    if schema.policy.months:
        root_row[0] = month_of(root_row[0])
        for index, row in rows:
            for cell in schema.tables[index].months:
                row[cell] = month_of(row[cell])
    return SubmissionRows(rows=rows, read=instance is not None, unreadable=bool(submission.xml) and instance is None)


def parse_instance(xml: bytes) -> Element | None:
    """The instance's root element, or None when it is not well-formed or declares entities."""
    if _may_have_doctype(xml):
        return defused_instance(xml)
    try:
        root: Element = fromstring(xml)  # noqa: S314 - no DTD, so no entity to expand or fetch
        return root
    except ParseError:
        return defused_instance(xml)  # not well-formed: the same answer, from the reference


def defused_instance(xml: bytes) -> Element | None:
    """The instance read by defusedxml alone (the reference the fast parse must agree with)."""
    try:
        root: Element = ElementTree.fromstring(xml)
        return root
    except (ElementTree.ParseError, DefusedXmlException):
        return None


def _may_have_doctype(xml: bytes) -> bool:
    """Whether xml may hold a document type declaration. Expat reads UTF-8, UTF-16 and 8-bit encodings only, and
    accepts an 8-bit one only when it maps ASCII to itself, so outside UTF-16 (a byte-order mark, or a NUL among
    the first bytes of "<?xml") a declaration always shows as the bytes "<!DOCTYPE"."""
    return b"<!DOCTYPE" in xml or b"\x00" in xml[:4] or xml[:2] in (b"\xfe\xff", b"\xff\xfe")


def _walk(
    element: Element,
    node: Node,
    schema: ExportSchema,
    row: list[str],
    key: str,
    parent_key: str,
    counts: dict[str, int],
    rows: list[tuple[int, list[str]]],
) -> None:
    """Fill row from element's children; key is the path so far, parent_key the enclosing repeat instance's KEY.

    counts numbers repeat instances within the enclosing repeat instance (groups share it), so a nested repeat
    starts again at [1] in each instance of its parent, as Central numbers them.
    """
    children, value_cells = node.children, node.value_cells
    for child in element:
        tag = child.tag
        cell = value_cells.get(tag)
        if cell is not None:  # the common case, first: a one-cell field without a namespace
            row[cell] = _text(child) if len(child) else child.text or ""
            continue
        sub = children.get(tag)
        if sub is None:
            if not isinstance(tag, str) or "}" not in tag or (sub := children.get(local(tag))) is None:
                continue  # not in the form (e.g. meta/deprecatedID): no column, and nothing below it is read
        leaf = sub.leaf
        if leaf is not None:
            value = _text(child)
            if leaf.kind == "geopoint":  # split on whitespace into its four cells
                parts = WHITESPACE.split(value)[:4] if value else []
                row[leaf.cell : leaf.cell + 4] = parts + [""] * (4 - len(parts))
            else:
                row[leaf.cell] = value
        elif sub.kind == "group":
            _walk(child, sub, schema, row, f"{key}/{sub.name}", parent_key, counts, rows)
        else:
            number = counts[sub.path] = counts.get(sub.path, 0) + 1
            own_key = f"{key}/{sub.name}[{number}]"
            own_row = [""] * len(schema.tables[sub.table].header)
            own_row[-2:] = [parent_key, own_key]
            _walk(child, sub, schema, own_row, own_key, own_key, {}, rows)
            rows.append((sub.table, own_row))


def _text(element: Element) -> str:
    """A leaf's text as sent; text around unexpected child elements is kept, the children's own text is not."""
    return (element.text or "") + "".join(child.tail or "" for child in element)
