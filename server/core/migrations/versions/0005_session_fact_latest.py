"""session facts: indexes for coverage (each place's latest session, a period's sessions)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 09:55:00.000000

Each single-column place index becomes a composite (place, session_date): it still serves lookups by place, and
a place's latest session up to a day is one seek instead of a scan of all its sessions. The session_date index
becomes a covering one (date, then every column coverage reads of a period's sessions): a period is one range of it.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PLACES = ("commune_code", "old_commune_code", "old_district_code", "village_code")
PERIOD = ("session_date", "submission_id", "village_code", "commune_code", "old_commune_code", "old_district_code",
          "lat", "lon", "participants_total", "participants_women", "participants_ethnic", "requests_received",
          "requests_accepted")  # fmt: skip


def upgrade() -> None:
    for name in PLACES:
        op.drop_index(f"ix_session_fact_{name}", table_name="session_fact")
        op.create_index(f"ix_session_fact_{name}_session_date", "session_fact", [name, "session_date"])
    op.drop_index("ix_session_fact_session_date", table_name="session_fact")
    op.create_index("ix_session_fact_period", "session_fact", list(PERIOD))


def downgrade() -> None:
    op.drop_index("ix_session_fact_period", table_name="session_fact")
    op.create_index("ix_session_fact_session_date", "session_fact", ["session_date"])
    for name in PLACES:
        op.drop_index(f"ix_session_fact_{name}_session_date", table_name="session_fact")
        op.create_index(f"ix_session_fact_{name}", "session_fact", [name])
