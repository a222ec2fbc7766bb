"""One submission's XML turned into table rows: a root row and one row per repeat instance, with Central's KEYs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException, ElementTree

from exports.submission import ExportSubmission, root_meta_cells, submission_date_cell
from exports.table_schema import ExportSchema, Field, Node
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
    instance: Element | None = None
    if submission.xml:
        try:
            instance = ElementTree.fromstring(submission.xml)
        except (ElementTree.ParseError, DefusedXmlException):
            instance = None
    if instance is not None:
        _walk(instance, schema.root, schema, root_row, submission.instance_id, submission.instance_id, {}, rows)
    root_row[0] = submission_date_cell(submission.submission_date)
    meta = root_meta_cells(submission)
    root_row[-len(meta) :] = meta
    rows.append((0, root_row))
    return SubmissionRows(rows=rows, read=instance is not None, unreadable=bool(submission.xml) and instance is None)


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
    for child in element:
        sub = node.children.get(local(child.tag))
        if sub is None:  # not in the form (e.g. meta/deprecatedID): no column, and nothing below it is read
            continue
        if sub.leaf is not None:
            _put(row, sub.leaf, _text(child))
        elif sub.kind == "group":
            _walk(child, sub, schema, row, f"{key}/{sub.name}", parent_key, counts, rows)
        else:
            counts[sub.path] = counts.get(sub.path, 0) + 1
            own_key = f"{key}/{sub.name}[{counts[sub.path]}]"
            own_row = [""] * len(schema.tables[sub.table].header)
            own_row[-2:] = [parent_key, own_key]
            _walk(child, sub, schema, own_row, own_key, own_key, {}, rows)
            rows.append((sub.table, own_row))


def _put(row: list[str], leaf: Field, value: str) -> None:
    """Write a field's value verbatim; a geopoint is split on whitespace into its four cells."""
    if leaf.kind == "geopoint":
        parts = WHITESPACE.split(value)[:4] if value else []
        row[leaf.cell : leaf.cell + 4] = parts + [""] * (4 - len(parts))
    else:
        row[leaf.cell] = value


def _text(element: Element) -> str:
    """A leaf's text as sent; text around unexpected child elements is kept, the children's own text is not."""
    return (element.text or "") + "".join(child.tail or "" for child in element)
