"""village: a counter per code prefix, and proposals found by their submission

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 09:00:00.000000

A commune's next village code was found by reading every code of the commune (LIKE '01864-%'), so each proposal from
the field cost more than the last. village_counter keeps the highest number taken per prefix, seeded here from the
codes already stored (generated ones and those given by hand alike: a hand-given 01864-012 is never generated).
The index on source_ref makes finding the proposal an edited submission made a seek instead of a scan.
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NUMBERED = re.compile(r"^(.+)-([0-9]{1,18})$")  # as server.places.village_codes has it; a migration keeps its own copy


def upgrade() -> None:
    counter = op.create_table(
        "village_counter",
        sa.Column("prefix", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("last", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("prefix"),
    )
    highest: dict[str, int] = {}
    for (code,) in op.get_bind().execute(sa.text("SELECT code FROM village")):
        match = NUMBERED.match(code)
        if match:
            prefix, number = match.group(1), int(match.group(2))
            highest[prefix] = max(number, highest.get(prefix, 0))
    if highest:
        op.bulk_insert(counter, [{"prefix": prefix, "last": last} for prefix, last in sorted(highest.items())])
    op.create_index("ix_village_source_ref", "village", ["source_ref"])


def downgrade() -> None:
    op.drop_index("ix_village_source_ref", table_name="village")
    op.drop_table("village_counter")
