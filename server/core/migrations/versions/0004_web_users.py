"""web users: area, lockout, API token

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 07:36:51.863440
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("web_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("area_scheme", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True))
        batch_op.add_column(sa.Column("area_code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch_op.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("session_version", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("api_token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.create_unique_constraint("uq_web_user_api_token_hash", ["api_token_hash"])


def downgrade() -> None:
    with op.batch_alter_table("web_user", schema=None) as batch_op:
        batch_op.drop_constraint("uq_web_user_api_token_hash", type_="unique")
        batch_op.drop_column("api_token_hash")
        batch_op.drop_column("locked_until")
        batch_op.drop_column("session_version")
        batch_op.drop_column("failed_logins")
        batch_op.drop_column("area_code")
        batch_op.drop_column("area_scheme")
