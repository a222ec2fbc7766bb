"""XPath lookups on a built XForm for the form tests: binds, choice lists, itext translations, instance leaves."""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from pyxform.xls2xform import convert

NS = {
    "h": "http://www.w3.org/1999/xhtml",
    "x": "http://www.w3.org/2002/xforms",
    "jr": "http://openrosa.org/javarosa",
    "orx": "http://openrosa.org/xforms",
}
PREFIXES = {f"{{{uri}}}": f"{prefix}:" for prefix, uri in NS.items() if prefix in {"jr", "orx"}}


def tidy(expression: str) -> str:
    """An XPath expression as pyxform wrote it, with the spaces it pads ${name} references with removed."""
    expression = " ".join(expression.split())
    return re.sub(r"\s+([)\],])", r"\1", re.sub(r"([(\[])\s+", r"\1", expression))


@dataclass(frozen=True, slots=True)
class XForm:
    """A parsed XForm and the few questions form tests ask of it."""

    root: Element

    @classmethod
    def parse(cls, xform: bytes) -> XForm:
        """Parse XForm bytes (hardened parser)."""
        return cls(ElementTree.fromstring(xform))

    def find(self, xpath: str) -> Element:
        """The one element an XPath (with the h:, x:, jr: prefixes) selects; fails when there is none."""
        element = self.root.find(xpath, NS)
        assert element is not None, f"nothing at {xpath}"
        return element

    def bind(self, path: str) -> dict[str, str]:
        """The attributes of the bind for an instance path, expressions tidied, e.g. {'relevant': ". > 0"}."""
        element = self.find(f".//x:model/x:bind[@nodeset='{path}']")
        attributes = {}
        for name, value in element.attrib.items():
            for uri, prefix in PREFIXES.items():
                name = name.replace(uri, prefix)
            attributes[name] = value if name == "nodeset" else tidy(value)
        return attributes

    def binds(self) -> dict[str, dict[str, str]]:
        """Every bind, by instance path."""
        return {b.get("nodeset", ""): self.bind(b.get("nodeset", "")) for b in self.root.iterfind(".//x:bind", NS)}

    def choices(self, list_name: str) -> list[str]:
        """The choice names of a list, in form order (pyxform writes each list as a secondary instance)."""
        return [item.findtext("x:name", "", NS) for item in self.find(f".//x:instance[@id='{list_name}']/x:root")]

    def choice_text_ids(self, list_name: str) -> list[str]:
        """The itext ids of a list's choice labels."""
        return [item.findtext("x:itextId", "", NS) for item in self.find(f".//x:instance[@id='{list_name}']/x:root")]

    def choice_labels(self, list_name: str, lang: str) -> dict[str, str]:
        """A list's choice labels in one language, by choice name."""
        texts = self.translations()[lang]
        return {
            name: texts[text_id]
            for name, text_id in zip(self.choices(list_name), self.choice_text_ids(list_name), strict=True)
        }

    def itemset(self, path: str) -> str:
        """The nodeset of the itemset of the select question at an instance path."""
        control = self.find(f".//h:body//*[@ref='{path}']/x:itemset")
        return tidy(control.get("nodeset", ""))

    def control(self, path: str) -> Element:
        """The body element (input, select1, group…) for an instance path."""
        return self.find(f".//h:body//*[@ref='{path}']")

    def translations(self) -> dict[str, dict[str, str]]:
        """Itext per language: {lang: {text id: text}}."""
        return {
            translation.get("lang", ""): {
                text.get("id", ""): "".join(text.find("x:value", NS).itertext())  # type: ignore[union-attr]
                for text in translation.iterfind("x:text", NS)
            }
            for translation in self.root.iterfind(".//x:itext/x:translation", NS)
        }

    def default_language(self) -> str:
        """The language marked default in the itext."""
        return self.find(".//x:itext/x:translation[@default='true()']").get("lang", "")

    def primary(self) -> Element:
        """The root element of the primary instance (<data id=...>)."""
        return self.find(".//x:model/x:instance/*")

    def leaves(self) -> list[str]:
        """Every instance path of the primary instance that holds a value, without the repeat template copy."""
        paths: list[str] = []

        def walk(element: Element, prefix: str) -> None:
            seen: set[str] = set()
            for child in element:
                name = child.tag.rsplit("}", 1)[-1]
                if name in seen:  # a repeat's template and its first instance
                    continue
                seen.add(name)
                path = f"{prefix}/{name}"
                if len(child):
                    walk(child, path)
                else:
                    paths.append(path)

        walk(self.primary(), "/data")
        return paths


def isolated(markdown: str) -> XForm:
    """A rule shown alone: a markdown XLSForm through pyxform, which must not warn."""
    warnings: list[str] = []
    result = convert(xlsform=markdown, file_type=".md", warnings=warnings)
    assert warnings == []
    return XForm.parse(result.xform.encode("utf-8"))
