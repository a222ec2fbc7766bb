"""form: sensitive flag (viewers get aggregates only, never rows)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 09:00:00.000000

A sensitive form holds people's records (Law 91/2025 on personal data): viewers get no row-level export of it, in
any format. The person form is sensitive from the start; an admin marks others (`tgpl forms sensitive`, forms page).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SENSITIVE_BY_DEFAULT = ("tgpl_person",)  # as server.publishing.forms has it; a migration keeps its own copy


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite takes it with a constant default): a batch copy of the table would have to drop
    # `form`, which the rows of form_version and submission refer to, and fails on any database that holds forms.
    op.add_column("form", sa.Column("sensitive", sa.Boolean(), nullable=False, server_default=sa.false()))
    form = sa.table("form", sa.column("xml_form_id", sa.String()), sa.column("sensitive", sa.Boolean()))
    op.execute(form.update().where(form.c.xml_form_id.in_(SENSITIVE_BY_DEFAULT)).values(sensitive=True))


def downgrade() -> None:
    with op.batch_alter_table("form", schema=None) as batch_op:
        batch_op.drop_column("sensitive")
