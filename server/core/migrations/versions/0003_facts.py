"""facts: session and person facts for coverage and reports

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 07:17:38.211219
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "person_fact",
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("submission_def_id", sa.Integer(), nullable=False),
        sa.Column("app_user_id", sa.Integer(), nullable=True),
        sa.Column("intake_date", sa.Date(), nullable=True),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("sex", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column("age_years", sa.Integer(), nullable=True),
        sa.Column("ethnicity", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column("hardship", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("field_of_law", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("aid_form", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("accepted", sa.Boolean(), nullable=True),
        sa.Column("provider_role", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("commune_code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("old_commune_code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("old_district_code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("village_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["app_user_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["submission_def_id"],
            ["submission_def.id"],
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
        ),
        sa.PrimaryKeyConstraint("submission_id"),
    )
    with op.batch_alter_table("person_fact", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_fact_commune_code"), ["commune_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_person_fact_intake_date"), ["intake_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_person_fact_old_commune_code"), ["old_commune_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_person_fact_old_district_code"), ["old_district_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_person_fact_village_code"), ["village_code"], unique=False)

    op.create_table(
        "session_fact",
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("submission_def_id", sa.Integer(), nullable=False),
        sa.Column("app_user_id", sa.Integer(), nullable=True),
        sa.Column("session_date", sa.Date(), nullable=True),
        sa.Column("session_type", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("evening", sa.Boolean(), nullable=True),
        sa.Column("commune_code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("old_commune_code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("old_district_code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("village_code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("accuracy_m", sa.Float(), nullable=True),
        sa.Column("participants_total", sa.Integer(), nullable=True),
        sa.Column("participants_women", sa.Integer(), nullable=True),
        sa.Column("participants_ethnic", sa.Integer(), nullable=True),
        sa.Column("leaflets", sa.Integer(), nullable=True),
        sa.Column("questions_total", sa.Integer(), nullable=True),
        sa.Column("requests_received", sa.Integer(), nullable=True),
        sa.Column("requests_accepted", sa.Integer(), nullable=True),
        sa.Column("referrals", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["app_user_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["submission_def_id"],
            ["submission_def.id"],
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
        ),
        sa.PrimaryKeyConstraint("submission_id"),
    )
    with op.batch_alter_table("session_fact", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_session_fact_commune_code"), ["commune_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_session_fact_old_commune_code"), ["old_commune_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_session_fact_old_district_code"), ["old_district_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_session_fact_session_date"), ["session_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_session_fact_village_code"), ["village_code"], unique=False)

    op.create_table(
        "person_category",
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["person_fact.submission_id"],
        ),
        sa.PrimaryKeyConstraint("submission_id", "category"),
    )
    with op.batch_alter_table("person_category", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_category_category"), ["category"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("person_category", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_category_category"))

    op.drop_table("person_category")
    with op.batch_alter_table("session_fact", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_fact_village_code"))
        batch_op.drop_index(batch_op.f("ix_session_fact_session_date"))
        batch_op.drop_index(batch_op.f("ix_session_fact_old_district_code"))
        batch_op.drop_index(batch_op.f("ix_session_fact_old_commune_code"))
        batch_op.drop_index(batch_op.f("ix_session_fact_commune_code"))

    op.drop_table("session_fact")
    with op.batch_alter_table("person_fact", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_fact_village_code"))
        batch_op.drop_index(batch_op.f("ix_person_fact_old_district_code"))
        batch_op.drop_index(batch_op.f("ix_person_fact_old_commune_code"))
        batch_op.drop_index(batch_op.f("ix_person_fact_intake_date"))
        batch_op.drop_index(batch_op.f("ix_person_fact_commune_code"))

    op.drop_table("person_fact")
