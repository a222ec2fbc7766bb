"""submission: an index for exports, (form_id, created_at, id)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 16:30:00.000000

An export reads a form's submissions newest first, a page at a time after the last (created_at, id) seen. With only
the form_id index, SQLite sorted every submission of the form for each page (a 100,000-submission export sorted
100,000 rows a hundred times); with this index a page is one range of it.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_submission_form_created", "submission", ["form_id", "created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_submission_form_created", table_name="submission")
