"""The ingest bench's pre-fill: many submissions copied, in bulk, from real ones that tgpl received.

Each copy is the rows receiving wrote for its original — the submission, its version, its session fact, its audit
line and, for a proposal, its village and the village's audit line — with new ids, instanceID, village code and
references; the copies reuse their original's XML file, which nothing on the ingest path reads again. Afterwards
the commune's code counter is where receiving the proposals would have left it, and on PostgreSQL the id sequences
move past the copies and the tables are analysed.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, create_engine, func, insert, select, text, update

from server.core.models import Audit, SessionFact, Submission, SubmissionDef, Village, VillageCounter
from server.places.names import name_key
from tests.instances import SESSION_COMMUNE as COMMUNE

BATCH = 10_000  # rows of each table per INSERT

SUBMISSION: Table = Submission.__table__  # type: ignore[attr-defined]
SUBMISSION_DEF: Table = SubmissionDef.__table__  # type: ignore[attr-defined]
SESSION_FACT: Table = SessionFact.__table__  # type: ignore[attr-defined]
AUDIT: Table = Audit.__table__  # type: ignore[attr-defined]
VILLAGE: Table = Village.__table__  # type: ignore[attr-defined]
COUNTER: Table = VillageCounter.__table__  # type: ignore[attr-defined]
CLONED = (SUBMISSION, SUBMISSION_DEF, VILLAGE, SESSION_FACT, AUDIT)  # in an order their foreign keys accept


@dataclass
class Original:
    """The rows receiving wrote for one real submission: what the pre-fill copies."""

    submission: dict[str, Any]
    version: dict[str, Any]
    fact: dict[str, Any]
    audit: dict[str, Any]
    village: dict[str, Any] | None = None
    village_audit: dict[str, Any] | None = None


def copy_sent(database_url: str, sent: dict[str, list[str]], submissions: int, villages: int) -> None:
    """Add `submissions` submissions to tgpl's database, `villages` of them proposing a village of the commune,
    copied from the real ones sent first (instanceIDs by kind, "commune" and "proposal")."""
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            originals = {kind: [_original(connection, ident) for ident in ids] for kind, ids in sent.items()}
            next_id = {t.name: connection.execute(select(func.max(t.c.id))).scalar_one() + 1
                       for t in (SUBMISSION, SUBMISSION_DEF, AUDIT, VILLAGE)}  # fmt: skip
            number = connection.execute(select(COUNTER.c.last).where(COUNTER.c.prefix == COMMUNE)).scalar_one()
        for start in range(0, submissions, BATCH):
            rows: dict[str, list[dict[str, Any]]] = {table.name: [] for table in CLONED}
            for k in range(start, min(start + BATCH, submissions)):
                proposes = k * villages // submissions != (k + 1) * villages // submissions  # villages spread evenly
                pool = originals["proposal" if proposes else "commune"]
                original = pool[k % len(pool)]
                if proposes:
                    number += 1
                _clone(original, next_id, number, rows)
            with engine.begin() as connection:
                for table in CLONED:
                    if rows[table.name]:
                        connection.execute(insert(table), rows[table.name])
        with engine.begin() as connection:  # what receiving each proposal would have counted
            connection.execute(update(COUNTER).where(COUNTER.c.prefix == COMMUNE).values(last=number))
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                for name in (SUBMISSION.name, SUBMISSION_DEF.name, AUDIT.name, VILLAGE.name):
                    sql = f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), max(id)) FROM {name}"  # noqa: S608
                    connection.execute(text(sql))
                for table in (SUBMISSION, SUBMISSION_DEF, SESSION_FACT, AUDIT, VILLAGE, COUNTER):
                    connection.execute(text(f"VACUUM ANALYZE {table.name}"))
    finally:
        engine.dispose()


def _original(connection: Connection, instance_id: str) -> Original:
    """The rows of one submission as receiving stored them."""

    def one(table: Table, *where: Any) -> dict[str, Any]:
        return dict(connection.execute(select(table).where(*where)).mappings().one())

    submission = one(SUBMISSION, SUBMISSION.c.instance_id == instance_id)
    original = Original(
        submission,
        one(SUBMISSION_DEF, SUBMISSION_DEF.c.submission_id == submission["id"]),
        one(SESSION_FACT, SESSION_FACT.c.submission_id == submission["id"]),
        one(AUDIT, AUDIT.c.subject == f"submission:{submission['id']}"),
    )
    found = connection.execute(select(VILLAGE).where(VILLAGE.c.source_ref == f"submission:{instance_id}"))
    village = found.mappings().first()
    if village is not None:
        original.village = dict(village)
        original.village_audit = one(AUDIT, AUDIT.c.subject == f"village:{village['code']}")
    return original


def _clone(original: Original, next_id: dict[str, int], number: int, rows: dict[str, list[dict[str, Any]]]) -> None:
    """The rows of one more submission like the original: new ids and instanceID, and for a proposal its own
    village (the commune's next code), as receiving it would have written them."""

    def take(table: Table) -> int:
        next_id[table.name] += 1
        return next_id[table.name] - 1

    instance_id = f"uuid:{uuid.uuid4()}"
    submission_id, version_id = take(SUBMISSION), take(SUBMISSION_DEF)
    rows[SUBMISSION.name].append({**original.submission, "id": submission_id, "instance_id": instance_id})
    rows[SUBMISSION_DEF.name].append(
        {**original.version, "id": version_id, "submission_id": submission_id, "instance_id": instance_id}
    )
    fact = {**original.fact, "submission_id": submission_id, "submission_def_id": version_id}
    details = json.dumps({"instance_id": instance_id})
    rows[AUDIT.name].append(
        {**original.audit, "id": take(AUDIT), "subject": f"submission:{submission_id}", "details": details}
    )
    if original.village is not None and original.village_audit is not None:
        code, name, ref = f"{COMMUNE}-{number:03d}", f"Bản Mới {instance_id[5:]}", f"submission:{instance_id}"
        rows[VILLAGE.name].append(
            {**original.village, "id": take(VILLAGE), "code": code, "name": name, "name_key": name_key(name),
             "source_ref": ref}
        )  # fmt: skip
        said = {**json.loads(original.village_audit["details"]), "name": name, "ref": ref}
        rows[AUDIT.name].append({**original.village_audit, "id": take(AUDIT), "subject": f"village:{code}",
                                 "details": json.dumps(said, ensure_ascii=False)})  # fmt: skip
        fact["village_code"] = code
    rows[SESSION_FACT.name].append(fact)
