"""What every hostile case checks afterwards: a clear answer, a server still up, nothing half-written."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from defusedxml import ElementTree
from sqlalchemy import Engine, select
from sqlmodel import SQLModel

import server.core.models  # noqa: F401 - registers the tables in SQLModel.metadata

CASES = Path(__file__).parent / "cases"
RESPONSE_NS = "{http://openrosa.org/http/response}"
# Every table a request from outside may write; web_user is left out (sign-in bookkeeping), places are static.
TABLES = (
    "form",
    "form_version",
    "form_media",
    "app_user",
    "app_user_form",
    "submission",
    "submission_def",
    "submission_attachment",
    "village",
    "session_fact",
    "person_fact",
    "person_category",
    "audit",
)
BLOB_COLUMNS = (("form_media", "sha256"), ("submission_def", "xml_sha256"), ("submission_attachment", "sha256"))
SUBMISSION_TABLES = frozenset({"submission", "submission_def", "submission_attachment", "audit"})


class HalfWritten(AssertionError):
    """A refused request left rows or files behind (or a success wrote something it should not have)."""


@dataclass(frozen=True)
class Case:
    """One hostile input: what it sends (a file under cases/ or a generator), what the server must answer."""

    id: str
    sends: str | Callable[..., Any]
    status: int
    says: str  # a fragment the message must contain (the answer must say what was wrong)
    changes: frozenset[str] = frozenset()  # tables a success may change; empty for every refusal
    xfail: str | None = None  # a known bug, reported; strict, and only for the check that fails
    raises: type[BaseException] = AssertionError
    marks: tuple[Any, ...] = ()

    def payload(self, *args: Any) -> Any:
        """The bytes of the case file, or what its generator makes."""
        if isinstance(self.sends, str):
            return (CASES / self.sends).read_bytes()
        return self.sends(*args)


def params(cases: Iterable[Case]) -> list[Any]:
    """pytest parameters, one per case, with a strict xfail where a known bug is reported."""
    result = []
    for case in cases:
        marks = [pytest.mark.xfail(strict=True, raises=case.raises, reason=case.xfail)] if case.xfail else []
        result.append(pytest.param(case, id=case.id, marks=[*marks, *case.marks]))
    ids = [p.id for p in result]
    assert len(ids) == len(set(ids)), "case ids are unique"
    return result


@dataclass(frozen=True)
class State:
    """Every row a request may write and every file in the blob store."""

    rows: dict[str, list[tuple[Any, ...]]]
    files: frozenset[str]
    referenced: frozenset[str]

    @classmethod
    def of(cls, engine: Engine, blob_dir: Path) -> State:
        """Read the state now."""
        tables = SQLModel.metadata.tables
        with engine.connect() as connection:
            rows = {name: sorted((tuple(r) for r in connection.execute(select(tables[name]))), key=repr)
                    for name in TABLES}  # fmt: skip
            columns = [tables[table].c[column] for table, column in BLOB_COLUMNS]
            referenced = {sha for column in columns for (sha,) in connection.execute(select(column)) if sha}
        files = frozenset(str(p.relative_to(blob_dir)) for p in blob_dir.rglob("*") if p.is_file())
        return cls(rows, files, frozenset(referenced))

    def values(self, table: str, column: str) -> list[Any]:
        """One column of a table's rows."""
        index = list(SQLModel.metadata.tables[table].c.keys()).index(column)
        return [row[index] for row in self.rows[table]]

    def changed_tables(self, before: State) -> set[str]:
        """The tables whose rows differ from before."""
        return {name for name in TABLES if self.rows[name] != before.rows[name]}

    def assert_nothing_half_written(self, before: State, allowed: frozenset[str]) -> None:
        """Only the allowed tables changed; no temporary file and no blob without a row remains."""
        changed = self.changed_tables(before)
        if not changed <= allowed:
            raise HalfWritten(f"tables changed: {sorted(changed - allowed)}")
        temporary = [name for name in self.files if Path(name).name.startswith(".")]
        if temporary:
            raise HalfWritten(f"temporary files left: {temporary}")
        orphans = {Path(name).name for name in self.files - before.files} - self.referenced
        if orphans:
            raise HalfWritten(f"blob files without a row: {sorted(orphans)}")


def openrosa_message(response: httpx.Response, nature: str = "error") -> str:
    """The message of an OpenRosaResponse, parsed as Collect does; the envelope must be exact."""
    assert response.headers["content-type"] == "text/xml; charset=utf-8", response.headers
    assert response.headers["x-openrosa-version"] == "1.0"
    root = ElementTree.fromstring(response.content)
    assert root.tag == f"{RESPONSE_NS}OpenRosaResponse", response.text[:300]
    message = root.find(f"{RESPONSE_NS}message")
    assert message is not None, response.text[:300]
    assert message.get("nature") == nature
    text = (message.text or "").strip()
    assert text, "Collect shows this message to the collaborator"
    assert len(response.content) < 4096, "an error message echoes no megabytes back"
    return text


def json_message(response: httpx.Response) -> str:
    """The message of a JSON API error."""
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert body["code"].startswith(str(response.status_code)), body
    assert body["message"], body
    return str(body["message"])


def page_text(response: httpx.Response) -> str:
    """The text of an HTML page for people."""
    assert response.headers["content-type"].startswith("text/html"), response.headers
    assert "<html" in response.text.lower()
    return response.text
