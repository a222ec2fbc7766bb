"""A codebook of a built XForm: every question with its type, labels, rules and choice codes, for the people who
read exports (Markdown for reading, CSV for spreadsheets)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from defusedxml import ElementTree

from forms.xform import XFORMS_NS, local

CONTROL_TYPES = {
    "select1": "select_one",
    "select": "select_multiple",
    "trigger": "acknowledge",
    "range": "range",
    "rank": "rank",
}
BIND_TYPES = {
    "string": "text",
    "int": "integer",
    "decimal": "decimal",
    "date": "date",
    "time": "time",
    "dateTime": "datetime",
    "geopoint": "geopoint",
    "geotrace": "geotrace",
    "geoshape": "geoshape",
    "barcode": "barcode",
    "binary": "file",
}
ITEXT_REF = re.compile(r"jr:itext\('([^']+)'\)")


@dataclass
class Question:
    """One row of the codebook."""

    path: str
    name: str
    type: str
    labels: dict[str, str]
    choice_list: str | None = None
    relevant: str = ""
    constraint: str = ""
    required: str = ""
    calculation: str = ""


@dataclass
class Codebook:
    """The questions of a form in order, its languages and its choice lists (code → labels)."""

    form_id: str
    title: str
    version: str
    languages: list[str]
    questions: list[Question] = field(default_factory=list)
    choices: dict[str, list[tuple[str, dict[str, str]]]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # list name → media file it comes from


def build_codebook(xform: bytes) -> Codebook:
    """Read an XForm into a codebook."""
    root = ElementTree.fromstring(xform)
    model = next(e for e in root.iter() if local(e.tag) == "model")
    texts, languages = _itext(model)
    instances = [e for e in model if local(e.tag) == "instance"]
    data = next(iter(instances[0]))
    binds = {b.get("nodeset", ""): b for b in model.iter(f"{{{XFORMS_NS}}}bind")}
    body = next(e for e in root.iter() if local(e.tag) == "body")
    controls: dict[str, list[Element]] = {}
    for control in body.iter():
        if control.get("ref") or control.get("nodeset"):
            controls.setdefault(control.get("ref") or control.get("nodeset") or "", []).append(control)
    title = next((e.text or "" for e in root.iter() if local(e.tag) == "title"), "")
    book = Codebook(data.get("id", ""), title.strip(), data.get("version", ""), languages)
    for secondary in instances[1:]:
        list_name = secondary.get("id", "")
        if secondary.get("src"):
            book.files[list_name] = secondary.get("src", "").rsplit("/", 1)[-1]
            continue
        book.choices[list_name] = [
            (
                _child_text(item, "name"),
                texts.get(_child_text(item, "itextId"), {}) or {languages[0]: _child_text(item, "label")},
            )
            for item in secondary.iter()
            if local(item.tag) == "item"
        ]
    for path, element in _paths(data, f"/{local(data.tag)}"):
        if path.endswith("/meta") or "/meta/" in path:
            continue
        bind, found = binds.get(path), controls.get(path, [])
        if bind is None and not found:
            continue
        book.questions.append(_question(path, element, bind, found, texts))
    return book


def _question(
    path: str, element: Element, bind: Element | None, found: list[Element], texts: dict[str, dict[str, str]]
) -> Question:
    """A question from its bind and its body controls (a repeat has two: the labelled group and the repeat)."""
    control = found[-1] if found else None
    attrs = dict(bind.attrib) if bind is not None else {}
    kind = BIND_TYPES.get(attrs.get("type", "string").split(":")[-1], attrs.get("type", ""))
    choice_list = None
    if control is not None:
        tag = local(control.tag)
        if tag in ("group", "repeat"):
            kind = tag
        elif tag in CONTROL_TYPES:
            kind = CONTROL_TYPES[tag]
            itemset = next((e for e in control if local(e.tag) == "itemset"), None)
            if itemset is not None:
                choice_list = re.sub(r"^instance\('([^']+)'\).*$", r"\1", itemset.get("nodeset", ""))
        elif tag == "upload":
            kind = (control.get("mediatype") or "file/*").split("/")[0].replace("*", "file")
        elif attrs.get("readonly") == "true()" and kind == "text" and "calculate" not in attrs:
            kind = "note"
    elif "calculate" in attrs:
        kind = "calculate"
    labels: dict[str, str] = {}
    label = next((e for c in found for e in c if local(e.tag) == "label"), None)
    if label is not None:
        ref = ITEXT_REF.match(label.get("ref", ""))
        labels = texts.get(ref.group(1), {}) if ref else {"": (label.text or "").strip()}
    return Question(
        path=path,
        name=local(element.tag),
        type=kind,
        labels=labels,
        choice_list=choice_list,
        relevant=_squeeze(attrs.get("relevant", "")),
        constraint=_squeeze(attrs.get("constraint", "")),
        required=_squeeze(attrs.get("required", "")),
        calculation=_squeeze(attrs.get("calculate", "")),
    )


def _paths(element: Element, path: str) -> list[tuple[str, Element]]:
    """Every node below element with its absolute path, in document order; a repeat counts once."""
    found: list[tuple[str, Element]] = []
    seen: set[str] = set()
    for child in element:
        child_path = f"{path}/{local(child.tag)}"
        if child_path not in seen:
            seen.add(child_path)
            found.append((child_path, child))
            found.extend(_paths(child, child_path))
    return found


def _itext(model: Element) -> tuple[dict[str, dict[str, str]], list[str]]:
    texts: dict[str, dict[str, str]] = {}
    languages: list[str] = []
    for translation in (e for e in model.iter() if local(e.tag) == "translation"):
        lang = translation.get("lang", "")
        languages.append(lang)
        for text in (e for e in translation if local(e.tag) == "text"):
            value = next((v for v in text if local(v.tag) == "value" and not v.get("form")), None)
            if value is not None:
                texts.setdefault(text.get("id", ""), {})[lang] = "".join(value.itertext()).strip()
    return texts, languages or [""]


def _child_text(element: Element, name: str) -> str:
    child = next((c for c in element if local(c.tag) == name), None)
    return (child.text or "").strip() if child is not None else ""


def to_markdown(book: Codebook) -> str:
    """The codebook as Markdown: the questions in form order, then every choice list."""
    langs = book.languages
    head = [
        "path",
        "type",
        *(f"label ({lang or 'default'})" for lang in langs),
        "choices",
        "relevant when",
        "constraint",
        "required",
        "calculation",
    ]
    lines = [
        f"# {book.title or book.form_id}",
        "",
        f"Form `{book.form_id}`, version `{book.version}`.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + " --- |" * len(head),
    ]
    for q in book.questions:
        choices = q.choice_list or ""
        if q.choice_list in book.files:
            choices = f"{q.choice_list} (from {book.files[q.choice_list]})"
        cells = [
            q.path,
            q.type,
            *(q.labels.get(lang, q.labels.get("", "")) for lang in langs),
            choices,
            q.relevant,
            q.constraint,
            q.required,
            q.calculation,
        ]
        lines.append("| " + " | ".join(_md(cell) for cell in cells) + " |")
    for list_name, items in book.choices.items():
        lines += [
            "",
            f"## {list_name}",
            "",
            "| code | " + " | ".join(lang or "label" for lang in langs) + " |",
            "|" + " --- |" * (len(langs) + 1),
        ]
        lines += [
            "| " + " | ".join(_md(x) for x in [code, *(labels.get(lang, "") for lang in langs)]) + " |"
            for code, labels in items
        ]
    return "\n".join(lines) + "\n"


def to_csv(book: Codebook) -> str:
    """One row per question, and one per choice (type 'choice', path = list name), Excel-safe UTF-8 with BOM."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            "path",
            "type",
            *(f"label::{lang}" for lang in book.languages),
            "choice_list",
            "relevant",
            "constraint",
            "required",
            "calculation",
        ]
    )
    for q in book.questions:
        writer.writerow(
            [
                q.path,
                q.type,
                *(q.labels.get(lang, q.labels.get("", "")) for lang in book.languages),
                q.choice_list or "",
                q.relevant,
                q.constraint,
                q.required,
                q.calculation,
            ]
        )
    for list_name, items in book.choices.items():
        for code, labels in items:
            writer.writerow(
                [
                    f"{list_name}/{code}",
                    "choice",
                    *(labels.get(lang, "") for lang in book.languages),
                    list_name,
                    "",
                    "",
                    "",
                    "",
                ]
            )
    return "\ufeff" + out.getvalue()


def _squeeze(expression: str) -> str:
    """pyxform pads ${name} references with spaces: show expressions with single spaces."""
    return " ".join(expression.split())


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
