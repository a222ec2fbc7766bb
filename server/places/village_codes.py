"""Village codes: checking a code given by hand, and the next code of a commune, taken at the same cost however many
villages the commune (or the registry) holds.

A generated code is the commune's code, a dash and a number of at least three digits (01864-007), one more than the
highest number taken so far. That number is kept per prefix in village_counter, raised by every code that
add_village stores (generated or given by hand), so no code is ever read to find it; an existing code of the same
shape that the counter does not know of (written outside add_village) is stepped over, one index seek per code.
"""

from __future__ import annotations

import re

from sqlalchemy import Executable, Table, bindparam, case, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from server.core.models import Village, VillageCounter
from server.places.media import NOT_LISTED

CODE_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
# A code shaped as generated ones: prefix, dash, number. Longer numbers than the counter column holds are left out;
# counting one by one from below, no generated code can ever reach them.
NUMBERED = re.compile(r"^(.+)-([0-9]{1,18})$")

COUNTER: Table = VillageCounter.__table__  # type: ignore[attr-defined]


def _upserts(insert: postgresql.Insert | sqlite.Insert) -> tuple[Executable, Executable]:
    """For one dialect: take a prefix's next number; note a number taken by a code given by hand (the counter goes
    past it). Both are one statement that inserts the prefix's row or updates it under its row lock."""
    take = insert.values(prefix=bindparam("prefix"), last=1)
    take = take.on_conflict_do_update(index_elements=[COUNTER.c.prefix], set_={"last": COUNTER.c.last + 1})
    seen = insert.values(prefix=bindparam("prefix"), last=bindparam("number"))
    higher = case((COUNTER.c.last < seen.excluded.last, seen.excluded.last), else_=COUNTER.c.last)
    seen = seen.on_conflict_do_update(index_elements=[COUNTER.c.prefix], set_={"last": higher})
    return take.returning(COUNTER.c.last), seen


# Built once: this runs for every village proposal a phone sends.
_UPSERTS = {"postgresql": _upserts(postgresql.insert(COUNTER)), "sqlite": _upserts(sqlite.insert(COUNTER))}
_TAKEN = select(col(Village.id)).where(col(Village.code) == bindparam("code"))  # a seek in the unique index


def check_code(code: str) -> str:
    """A village code of one's own: what phones send, so plain, not a number (numbers are ids), not 'khac'."""
    if not CODE_PATTERN.match(code) or code.isdigit() or code == NOT_LISTED:
        raise ValueError(f"a village code is 1-32 letters, digits, '-', '_' or '.', not only digits, not {code!r}")
    return code


def numbered(code: str) -> tuple[str, int] | None:
    """The prefix and number of a code shaped as generated ones ('01864-007' → ('01864', 7)); None otherwise."""
    match = NUMBERED.match(code)
    return (match.group(1), int(match.group(2))) if match else None


def next_code(session: Session, commune_code: str) -> str:
    """A commune's next village code, taken in the caller's transaction: the counter row stays locked until it ends
    (on PostgreSQL; SQLite has one writer at a time), so concurrent proposals never take the same number."""
    take, _seen = _UPSERTS[session.get_bind().dialect.name]
    while True:
        number: int = session.execute(take, {"prefix": commune_code}).scalar_one()
        code = f"{commune_code}-{number:03d}"
        if session.execute(_TAKEN, {"code": code}).first() is None:
            return code


def note_code(session: Session, code: str) -> None:
    """Tell the counter of a code given by hand, so that no generated code takes it later."""
    parts = numbered(code)
    if parts is not None:
        session.execute(_UPSERTS[session.get_bind().dialect.name][1], {"prefix": parts[0], "number": parts[1]})
