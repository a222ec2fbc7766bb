"""gazetteer: places, successors, villages; generated form media

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 06:57:35.176103
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "place",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scheme", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("level", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("short_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("unit_type", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("name_key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("parent_code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("province_code", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("area_km2", sa.Float(), nullable=True),
        sa.Column("boundary", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("scheme", "level", "code"),
    )
    with op.batch_alter_table("place", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_place_name_key"), ["name_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_place_province_code"), ["province_code"], unique=False)

    op.create_table(
        "place_successor",
        sa.Column("old_code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("new_code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("whole", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("old_code", "new_code"),
    )
    with op.batch_alter_table("place_successor", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_place_successor_new_code"), ["new_code"], unique=False)

    op.create_table(
        "village",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("name_key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("commune_code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("old_commune_code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("source_ref", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["village.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("village", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_village_commune_code"), ["commune_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_village_name_key"), ["name_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_village_old_commune_code"), ["old_commune_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_village_status"), ["status"], unique=False)

    with op.batch_alter_table("form_media", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dataset", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("form_media", schema=None) as batch_op:
        batch_op.drop_column("dataset")

    with op.batch_alter_table("village", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_village_status"))
        batch_op.drop_index(batch_op.f("ix_village_old_commune_code"))
        batch_op.drop_index(batch_op.f("ix_village_name_key"))
        batch_op.drop_index(batch_op.f("ix_village_commune_code"))

    op.drop_table("village")
    with op.batch_alter_table("place_successor", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_place_successor_new_code"))

    op.drop_table("place_successor")
    with op.batch_alter_table("place", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_place_province_code"))
        batch_op.drop_index(batch_op.f("ix_place_name_key"))

    op.drop_table("place")
