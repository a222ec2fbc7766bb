"""A submission as people read it: each question's label and its answer's label, in the chosen language."""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from sqlmodel import Session, select

from forms.codebook import Codebook, build_codebook
from forms.xform import local
from server.core.models import FormVersion, Place, SubmissionDef, Village
from server.core.storage import BlobStore

LANG_NAMES = {"vi": "Tiếng Việt (vi)", "en": "English (en)"}


@dataclass(frozen=True, slots=True)
class Answer:
    """One answered question."""

    path: str
    label: str
    value: str  # the raw value, as stored
    shown: str  # the value in words (choice labels, place names)
    kind: str


def answers(session: Session, store: BlobStore, current: SubmissionDef, lang: str) -> list[Answer]:
    """The answers of a submission version, with labels, in form order (a repeat's answers once per instance)."""
    version = session.get(FormVersion, current.form_version_id)
    assert version is not None
    book = build_codebook(version.xml)
    root = ElementTree.fromstring(store.read(current.xml_sha256))
    language = LANG_NAMES.get(lang, "")
    result = []
    for question in book.questions:
        if question.type in ("group", "repeat", "note"):
            continue
        label = question.labels.get(language) or next(iter(question.labels.values()), "") or question.name
        for node in _nodes(root, question.path):
            value = (node.text or "").strip()
            if value:
                shown = _shown(session, book, question.choice_list, question.type, value, language)
                result.append(Answer(question.path, label, value, shown, question.type))
    return result


def _nodes(root: Element, path: str) -> list[Element]:
    level = [root]
    for step in [s for s in path.split("/") if s][1:]:
        level = [child for node in level for child in node if local(child.tag) == step]
    return level


def _shown(session: Session, book: Codebook, choice_list: str | None, kind: str, value: str, language: str) -> str:
    if not choice_list:
        return value
    codes = value.split() if kind == "select_multiple" else [value]
    if choice_list in book.choices:
        labels = {
            code: names.get(language) or next(iter(names.values()), code) for code, names in book.choices[choice_list]
        }
        return ", ".join(labels.get(code, code) for code in codes)
    if choice_list == "communes":
        names = dict(session.exec(select(Place.code, Place.name).where(Place.scheme == "new")).all())
        return ", ".join(names.get(code, code) for code in codes)
    if choice_list == "villages":
        names = dict(session.exec(select(Village.code, Village.name)).all())
        return ", ".join(names.get(code, code) for code in codes)
    return value
