"""splitSelectMultiples: one `q/value` column per value seen in the data, right after the raw `q` column."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from exports.table_schema import Table


@dataclass(frozen=True, slots=True)
class SplitPlan:
    """The split columns of one table: for each select_multiple cell, the values seen, in byte order."""

    values: dict[int, tuple[str, ...]]  # raw cell position → values

    def header(self, header: Iterable[str]) -> list[str]:
        """The table's header with `name/value` columns inserted after each split column."""
        out: list[str] = []
        for cell, name in enumerate(header):
            out.append(name)
            out.extend(f"{name}/{value}" for value in self.values.get(cell, ()))
        return out

    def row(self, cells: list[str], *, read: bool) -> list[str]:
        """A row with 1 or 0 for each seen value; a root row whose XML could not be read gets empty cells instead.

        Central pre-fills every header containing '/' with 0 (its "MEGAHACK"), so a row without that field, or
        with it empty, shows 0s too; rows it cannot read (encrypted, not decrypted) are not pre-filled.
        """
        out: list[str] = []
        for cell, value in enumerate(cells):
            out.append(value)
            seen = self.values.get(cell)
            if seen:
                chosen = set(value.split())
                out.extend(("1" if v in chosen else "0") if read else "" for v in seen)
        return out


class SeenValues:
    """The values of every select_multiple field seen while the rows go by."""

    def __init__(self, tables: Iterable[Table]) -> None:
        self._cells = [[f.cell for f in table.fields if f.kind == "select_multiple"] for table in tables]
        self._seen: list[dict[int, set[str]]] = [{cell: set() for cell in cells} for cells in self._cells]

    def record(self, table: int, row: list[str]) -> None:
        """Note the values chosen in one row."""
        for cell in self._cells[table]:
            self._seen[table][cell].update(row[cell].split())

    def plan(self, table: int) -> SplitPlan:
        """The split columns of a table (none when it has no select_multiple value to split)."""
        # str order is code point order, which is the UTF-8 byte order Central's database returns them in
        values = {cell: tuple(sorted(seen)) for cell, seen in self._seen[table].items() if seen}
        return SplitPlan(values)
