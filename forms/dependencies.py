"""What a built XForm derives from what: the instance nodes each node's expressions read (its bind's calculate,
relevant and constraint; a repeat's count; a select's choice filter; a setvalue action), and the closure of a set of
nodes under them, so that removing a field removes whatever would reveal it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from defusedxml import ElementTree

from forms.xform import local

EXPRESSIONS = frozenset({"calculate", "relevant", "constraint"})  # local names: jr:constraint too, never *Msg
NAME = r"(?:[A-Za-z_][\w.-]*:)?[A-Za-z_][\w.-]*"  # an XML name, with an optional namespace prefix
# pyxform writes ${x} as " /data/group/x " (or "../x", "current()/../x" between nodes of one repeat); a hand-written
# XForm may still hold ${x}. String literals are blanked first, so a path inside quotes is never read as one.
LITERAL = re.compile(r"'[^']*'|\"[^\"]*\"")
PLACEHOLDER = re.compile(r"\$\{([^}\s]+)\}")
ABSOLUTE = re.compile(rf"(?<![\w.)\]])/{NAME}(?:/{NAME})*")  # not instance('x')/root, not item[...]/label
RELATIVE = re.compile(rf"(?<![\w)\]/])(?:current\(\)/)?\.\.?(?:/\.\.)*(?:/{NAME})+")
JR_COUNT = "{http://openrosa.org/javarosa}count"


@dataclass(frozen=True, slots=True)
class FormGraph:
    """The nodes of a form's primary instance with their bind types and choice-list files, and what each reads."""

    nodes: tuple[str, ...]  # every node's absolute path without namespace prefixes, in document order
    types: Mapping[str, str]  # path → bind type without its prefix: date, dateTime, binary...
    lists: Mapping[str, str]  # a select's path → the file its choices come from (e.g. villages.csv)
    reads: Mapping[str, frozenset[str]]  # path → the instance paths its expressions read

    def named(self, names: Iterable[str]) -> frozenset[str]:
        """The paths of the nodes whose local name is one of names."""
        wanted = set(names)
        return frozenset(path for path in self.nodes if path.rsplit("/", 1)[-1] in wanted)

    def closure(self, dropped: Iterable[str]) -> frozenset[str]:
        """dropped, and every node an expression of which reads a dropped node (or one inside a dropped group),
        repeatedly until nothing changes."""
        result = set(dropped)
        changed = True
        while changed:
            changed = False
            for path, reads in self.reads.items():
                if not _within(path, result) and any(_within(read, result) for read in reads):
                    result.add(path)
                    changed = True
        return frozenset(result)


def read_graph(xform: bytes) -> FormGraph:
    """Read a built XForm's primary instance, binds and body controls into its dependency graph."""
    html = ElementTree.fromstring(xform)
    model = next(e for e in html.iter() if local(e.tag) == "model")
    instances = [e for e in model if local(e.tag) == "instance"]
    data = next(iter(instances[0]))
    envelope = f"/{local(data.tag)}"
    nodes = tuple(_paths(data, envelope))
    by_name: dict[str, list[str]] = {}
    for path in nodes:
        by_name.setdefault(path.rsplit("/", 1)[-1], []).append(path)
    reads: dict[str, set[str]] = {}

    def read(path: str, expression: str) -> None:
        reads.setdefault(path, set()).update(references(expression, context=path, by_name=by_name))

    types: dict[str, str] = {}
    for bind in (e for e in model.iter() if local(e.tag) == "bind" and e.get("nodeset")):
        path = _absolute(bind.get("nodeset", ""), envelope)
        if bind.get("type"):
            types[path] = bind.get("type", "").rsplit(":", 1)[-1]
        for key, value in bind.attrib.items():
            if local(key) in EXPRESSIONS:
                read(path, value)
    files = {e.get("id", ""): e.get("src", "").rsplit("/", 1)[-1] for e in instances[1:] if e.get("src")}
    lists: dict[str, str] = {}
    for element in html.iter():
        tag, ref = local(element.tag), element.get("ref") or element.get("nodeset") or ""
        if tag == "repeat" and element.get(JR_COUNT):
            read(_absolute(ref, envelope), element.get(JR_COUNT, ""))
        elif tag == "setvalue" and element.get("ref") and element.get("value"):
            read(_absolute(ref, envelope), element.get("value", ""))
        elif tag in ("select", "select1", "rank") and ref:
            itemset = next((e for e in element if local(e.tag) == "itemset"), None)
            if itemset is not None:
                path = _absolute(ref, envelope)
                read(path, itemset.get("nodeset", ""))
                source = re.match(r"\s*instance\(\s*'([^']+)'\s*\)", itemset.get("nodeset", ""))
                if source and source.group(1) in files:
                    lists[path] = files[source.group(1)]
    return FormGraph(nodes, types, lists, {path: frozenset(found) for path, found in reads.items() if found})


def references(expression: str, *, context: str, by_name: Mapping[str, list[str]]) -> set[str]:
    """The instance paths an XPath expression reads, absolute and without namespace prefixes; relative paths are
    resolved from context (the node the expression belongs to), ${name} to every node of that name."""
    text = LITERAL.sub("''", expression)
    found = {path for name in PLACEHOLDER.findall(text) for path in by_name.get(name, [])}
    text = PLACEHOLDER.sub("''", text)
    found.update(_absolute(match.group(0), "") for match in ABSOLUTE.finditer(text))
    found.update(_resolve(context, match.group(0)) for match in RELATIVE.finditer(text))
    return found


def _resolve(context: str, relative: str) -> str:
    """A relative location path (./x, ../x, current()/../x) from the context node's path."""
    steps = context.split("/")
    for step in relative.removeprefix("current()/").split("/"):
        if step == "..":
            if len(steps) > 2:
                steps.pop()
        elif step != ".":
            steps.append(step.rsplit(":", 1)[-1])
    return "/".join(steps)


def _absolute(nodeset: str, envelope: str) -> str:
    """A bind or control path, absolute and without namespace prefixes (/data/orx:meta → /data/meta)."""
    path = nodeset.strip() if nodeset.strip().startswith("/") else f"{envelope}/{nodeset.strip()}"
    return "/".join(step.rsplit(":", 1)[-1] for step in path.split("/"))


def _paths(element: Element, path: str, found: dict[str, None] | None = None) -> dict[str, None]:
    """Every node below element, in document order (a dict used as an ordered set: a repeat's template and first
    instance count once)."""
    found = {} if found is None else found
    for child in element:
        child_path = f"{path}/{local(child.tag)}"
        found.setdefault(child_path)
        _paths(child, child_path, found)
    return found


def _within(path: str, dropped: set[str]) -> bool:
    """Whether path, or a group it lies in, is in dropped."""
    while path:
        if path in dropped:
            return True
        path = path.rpartition("/")[0]
    return False
