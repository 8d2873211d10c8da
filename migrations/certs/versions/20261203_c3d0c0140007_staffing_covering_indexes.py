"""Covering indexes for staffing search, team proposal and agency summary

Revision ID: c3d0c0140007
Revises: c3d0c0140006
Create Date: 2026-12-03

Staffing reads ask "a certificate of these catalogue versions, valid on the
day" per person and "a live role" per person (issue 10, item 8). These indexes
hold every column those conditions read, so the database answers them from the
index alone: by person (the semi-join from `talent_persons` and the per-person
counts), by catalogue version (a filter naming few versions), live roles by
role, and persons by agency with their unit.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c3d0c0140007"
down_revision: str | None = "c3d0c0140006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VALIDITY = ["state", "obtained_on", "expires_on"]


def upgrade() -> None:
    op.create_index(
        "ix_certificates_person_version_valid",
        "certificates",
        ["person_id", "catalogue_version_id", *VALIDITY],
    )
    op.create_index(
        "ix_certificates_version_person_valid",
        "certificates",
        ["catalogue_version_id", "person_id", *VALIDITY],
    )
    op.create_index(
        "ix_talent_roles_live_role_person",
        "talent_roles",
        ["role", "person_id"],
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    op.create_index(
        "ix_talent_persons_agency_person_unit",
        "talent_persons",
        ["agency_code", "person_id", "unit_id"],
    )
    op.create_index(
        "ix_person_ai_hours_year_person_hours",
        "person_ai_hours",
        ["year", "person_id", "ai_centi"],
    )


def downgrade() -> None:
    op.drop_index("ix_person_ai_hours_year_person_hours", table_name="person_ai_hours")
    op.drop_index("ix_talent_persons_agency_person_unit", table_name="talent_persons")
    op.drop_index("ix_talent_roles_live_role_person", table_name="talent_roles")
    op.drop_index("ix_certificates_version_person_valid", table_name="certificates")
    op.drop_index("ix_certificates_person_version_valid", table_name="certificates")
