"""What an export may show: Central's layout as it is (the default), or a de-identified extract that leaves out
identifying fields with everything derived from them, staff and devices, attachments and villages, and cuts dates to
the month."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from exports.submission import ROOT_META
from forms.dependencies import read_graph

STAFF_META = ("SubmitterID", "SubmitterName", "DeviceID")  # who sent it, from which phone
DATE_TYPES = frozenset({"date", "dateTime"})
VILLAGE_NAMES = frozenset({"village"})
MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")


@dataclass(frozen=True, slots=True)
class ExportPolicy:
    """The columns and values an export leaves out or coarsens; the default changes nothing."""

    drop: frozenset[str] = frozenset()  # absolute instance paths (a group takes its nodes along), columns and values
    months: bool = False  # date and dateTime fields, and SubmissionDate, cut to YYYY-MM
    meta: tuple[str, ...] = ROOT_META  # the metadata columns written after the fields, in Central's order
    media: bool = True  # whether attachments may go into the export

    def meta_cells(self, cells: list[str]) -> list[str]:
        """The metadata cells of a root row (in ROOT_META order) that this policy writes."""
        if self.meta is ROOT_META:
            return cells
        return [cell for name, cell in zip(ROOT_META, cells, strict=True) if name in self.meta]


CENTRAL = ExportPolicy()


def deidentified(
    xform: bytes, *, identifying: Iterable[str], village_lists: Iterable[str] = ("villages.csv",)
) -> ExportPolicy:
    """The de-identified export of a form. Left out: the fields named in identifying, every attachment field,
    meta/instanceName, every village field (its commune stays) and then every node derived from any of them (read
    from the form's binds, until nothing changes); the submitter and device columns; media. Dates become months."""
    graph = read_graph(xform)
    villages = set(village_lists)
    base = graph.named({*identifying, *VILLAGE_NAMES, "instanceName"})
    base |= {path for path, kind in graph.types.items() if kind == "binary"}
    base |= {path for path, source in graph.lists.items() if source in villages}
    meta = tuple(name for name in ROOT_META if name not in STAFF_META)
    return ExportPolicy(drop=graph.closure(base), months=True, meta=meta, media=False)


def month_of(value: str) -> str:
    """A date or dateTime cut to its month (YYYY-MM); anything else is left out."""
    return value[:7] if MONTH.match(value) else ""
