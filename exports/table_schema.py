"""The export tables of a built XForm, as ODK Central lays them out: the root table and one table per repeat,
each with its columns in form (depth-first) order, and the tree the row builder walks a submission with."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal
from xml.etree.ElementTree import Element

from defusedxml import ElementTree

from exports.policy import CENTRAL, DATE_TYPES, ExportPolicy
from exports.submission import REPEAT_META
from exports.zip_names import sanitize_file_name
from forms.xform import local, read_xform

FieldKind = Literal["value", "geopoint", "select_multiple"]
NodeKind = Literal["group", "repeat", "field"]
GEOPOINT_PARTS = ("Latitude", "Longitude", "Altitude", "Accuracy")


@dataclass(frozen=True, slots=True)
class Field:
    """A leaf of the primary instance as it lands in its table."""

    path: str  # absolute and without namespace prefixes, e.g. /data/place/location
    kind: FieldKind
    header: str  # its column name (a geopoint's four columns add -Latitude ... to it)
    cell: int  # position of its (first) cell in the table's rows


@dataclass(frozen=True, slots=True)
class Table:
    """One CSV file of the export."""

    file_name: str  # {formId}.csv, {formId}-{repeat}.csv, {formId}-{repeat}~{n}.csv
    repeat: str  # the repeat's name; "" for the root table
    header: tuple[str, ...]  # every column: SubmissionDate/fields/KEY... or fields/PARENT_KEY/KEY
    fields: tuple[Field, ...]
    months: tuple[int, ...] = ()  # the cells of date fields a de-identified export cuts to the month


@dataclass(frozen=True, slots=True, eq=False)
class Node:
    """A node of the primary instance that the export knows about; children by local name."""

    name: str
    kind: NodeKind
    path: str
    table: int  # a repeat's own table; for groups and fields the table they write to
    children: dict[str, Node] = field(default_factory=dict)
    leaf: Field | None = None  # for kind "field"
    value_cells: dict[str, int] = field(default_factory=dict)  # the children that are one-cell fields → their cell

    def __post_init__(self) -> None:
        self.value_cells.update(
            (name, child.leaf.cell)
            for name, child in self.children.items()
            if child.leaf is not None and child.leaf.kind != "geopoint"
        )


@dataclass(frozen=True, slots=True)
class ExportSchema:
    """Everything the exporter needs to know about the form."""

    form_id: str
    tables: tuple[Table, ...]
    root: Node
    policy: ExportPolicy = CENTRAL


def read_schema(xform: bytes, *, group_paths: bool = True, policy: ExportPolicy = CENTRAL) -> ExportSchema:
    """Read a built XForm into its export tables (root first, then repeats depth-first) and its node tree, as the
    policy has them: the nodes it drops are left out, columns and values alike, and so are the metadata columns it
    does not keep (Central's layout unchanged by default)."""
    form_id = read_xform(xform).form_id
    html = ElementTree.fromstring(xform)
    model = next(e for e in html.iter() if local(e.tag) == "model")
    data = next(iter(next(e for e in model if local(e.tag) == "instance")))
    envelope = f"/{local(data.tag)}"
    types = {  # Central reads only binds with a type: a group's relevance bind does not make it a field
        _absolute(bind.get("nodeset", ""), envelope): bind.get("type", "").rsplit(":", 1)[-1]
        for bind in model.iter()
        if local(bind.tag) == "bind" and bind.get("type")
    }
    controls = [e for e in html.iter() if local(e.tag) in ("repeat", "select")]
    repeats = {_absolute(e.get("nodeset", ""), envelope) for e in controls if local(e.tag) == "repeat"}
    selects = {_absolute(e.get("ref") or e.get("nodeset", ""), envelope) for e in controls if local(e.tag) == "select"}
    reader = _Reader(types=types, repeats=repeats, selects=selects, group_paths=group_paths, policy=policy)
    reader.drafts.append(_Draft(repeat="", header=["SubmissionDate"]))
    root = Node(local(data.tag), "group", envelope, 0, reader.children(data, envelope, 0, ()))
    reader.drafts[0].header.extend(policy.meta)
    return ExportSchema(form_id=form_id, tables=_tables(form_id, reader.drafts), root=root, policy=policy)


@dataclass
class _Draft:
    repeat: str
    header: list[str]
    fields: list[Field] = field(default_factory=list)
    months: list[int] = field(default_factory=list)


@dataclass
class _Reader:
    types: dict[str, str]
    repeats: set[str]
    selects: set[str]
    group_paths: bool
    policy: ExportPolicy = CENTRAL
    drafts: list[_Draft] = field(default_factory=list)

    def children(self, element: Element, path: str, table: int, groups: tuple[str, ...]) -> dict[str, Node]:
        """The nodes below element; groups is the chain of group names since the enclosing table's node."""
        nodes: dict[str, Node] = {}
        for child in element:
            name = local(child.tag)
            child_path = f"{path}/{name}"
            if name in nodes or child_path in self.policy.drop:  # a repeat's template and first instance count once
                continue
            if child_path in self.repeats:
                own = len(self.drafts)
                self.drafts.append(_Draft(repeat=name, header=[]))
                nodes[name] = Node(name, "repeat", child_path, own, self.children(child, child_path, own, ()))
                self.drafts[own].header.extend(REPEAT_META)
            elif child_path in self.types or len(child) == 0:  # a childless node without a bind is a field too
                nodes[name] = Node(
                    name, "field", child_path, table, leaf=self.add_leaf(child_path, table, groups, name)
                )
            else:
                nodes[name] = Node(
                    name, "group", child_path, table, self.children(child, child_path, table, (*groups, name))
                )
        return nodes

    def add_leaf(self, path: str, table: int, groups: tuple[str, ...], name: str) -> Field:
        """Add a leaf's column(s) to its table."""
        draft = self.drafts[table]
        header = "-".join((*groups, name)) if self.group_paths else name
        kind: FieldKind = "select_multiple" if path in self.selects else "value"
        cells = [header]
        if self.types.get(path) == "geopoint":
            kind = "geopoint"
            cells = [f"{header}-{part}" for part in GEOPOINT_PARTS]
        leaf = Field(path=path, kind=kind, header=header, cell=len(draft.header))
        if self.policy.months and self.types.get(path) in DATE_TYPES:
            draft.months.append(leaf.cell)
        draft.header.extend(cells)
        draft.fields.append(leaf)
        return leaf


def _tables(form_id: str, drafts: list[_Draft]) -> tuple[Table, ...]:
    """Freeze the drafts and name their files; repeats sharing a name get ~1, ~2 ... in depth-first order."""
    totals = Counter(d.repeat for d in drafts[1:])
    seen: Counter[str] = Counter()
    tables = []
    for draft in drafts:
        if not draft.repeat:
            name = f"{form_id}.csv"
        elif totals[draft.repeat] > 1:
            seen[draft.repeat] += 1
            name = f"{form_id}-{draft.repeat}~{seen[draft.repeat]}.csv"
        else:
            name = f"{form_id}-{draft.repeat}.csv"
        tables.append(
            Table(sanitize_file_name(name), draft.repeat, tuple(draft.header), tuple(draft.fields), tuple(draft.months))
        )
    return tuple(tables)


def _absolute(nodeset: str, envelope: str) -> str:
    """A bind or control path, absolute and without namespace prefixes (/data/orx:meta → /data/meta)."""
    path = nodeset.strip() if nodeset.strip().startswith("/") else f"{envelope}/{nodeset.strip()}"
    return "/".join(step.rsplit(":", 1)[-1] for step in path.split("/"))
