"""attendance records, overtime, limits, the comp-time ledger, notices, settlement

Revision ID: d4d0c0000002
Revises: d4d0c0000001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d4d0c0000002"
down_revision: str | None = "d4d0c0000001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agency_policies",
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("validity_months", sa.Integer(), nullable=False),
        sa.Column("budget_exhausted", sa.Boolean(), nullable=False),
        sa.Column("warning_lead_days", sa.JSON(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "validity_months BETWEEN 1 AND 24", name=op.f("ck_agency_policies_validity_months")
        ),
        sa.PrimaryKeyConstraint("agency_code", name=op.f("pk_agency_policies")),
    )
    op.create_table(
        "attendance_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("clock_in", sa.DateTime(timezone=True), nullable=True),
        sa.Column("clock_out", sa.DateTime(timezone=True), nullable=True),
        sa.Column("normal_minutes", sa.Integer(), nullable=False),
        sa.Column("is_rest_day", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("source_id", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_records")),
        sa.UniqueConstraint(
            "source", "source_id", name=op.f("uq_attendance_records_source_source_id")
        ),
    )
    op.create_index(
        "ix_attendance_records_person_day", "attendance_records", ["person_id", "day"], unique=False
    )
    op.create_table(
        "comptime_anchors",
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_comptime_anchors")),
    )
    op.create_table(
        "consent_windows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_windows")),
    )
    op.create_index(
        op.f("ix_consent_windows_person_id"), "consent_windows", ["person_id"], unique=False
    )
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
        sa.UniqueConstraint("job", "day", name=op.f("uq_job_runs_job_day")),
    )
    op.create_table(
        "leave_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("leave_day", sa.Date(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=128), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("refusal_reason", sa.String(length=32), nullable=True),
        sa.Column("refusal_note", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "refusal_reason IS NULL OR refusal_reason IN ('business_necessity', 'other')",
            name=op.f("ck_leave_requests_refusal_reason"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'refused', 'cancelled')",
            name=op.f("ck_leave_requests_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leave_requests")),
    )
    op.create_index(
        op.f("ix_leave_requests_agency_code"), "leave_requests", ["agency_code"], unique=False
    )
    op.create_index(
        op.f("ix_leave_requests_person_id"), "leave_requests", ["person_id"], unique=False
    )
    op.create_table(
        "limit_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("regime", sa.String(length=32), nullable=False),
        sa.Column("overrides", sa.JSON(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "regime IN ('regular', 'shift', 'exception', 'special_major_project', 'seasonal')",
            name=op.f("ck_limit_overrides_regime"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_limit_overrides")),
        sa.UniqueConstraint(
            "agency_code", "regime", name=op.f("uq_limit_overrides_agency_code_regime")
        ),
    )
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.String(length=64), nullable=False),
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.JSON(), nullable=True),
        sa.Column("webhook_delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("email_delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notices_dedupe_key")),
    )
    op.create_index(op.f("ix_notices_recipient_id"), "notices", ["recipient_id"], unique=False)
    op.create_table(
        "overtime_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("is_rest_day", sa.Boolean(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("assigned_by", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("compensation", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.String(length=500), nullable=True),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("source_id", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "compensation IN ('pay', 'comp')", name=op.f("ck_overtime_records_compensation")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected')", name=op.f("ck_overtime_records_status")
        ),
        sa.CheckConstraint("minutes > 0", name=op.f("ck_overtime_records_minutes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_overtime_records")),
        sa.UniqueConstraint(
            "source", "source_id", name=op.f("uq_overtime_records_source_source_id")
        ),
    )
    op.create_index(
        "ix_overtime_records_agency_day", "overtime_records", ["agency_code", "day"], unique=False
    )
    op.create_index(
        "ix_overtime_records_person_day", "overtime_records", ["person_id", "day"], unique=False
    )
    op.create_table(
        "roster_persons",
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=True),
        sa.Column("supervisor_id", sa.String(length=64), nullable=True),
        sa.Column("regime", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("hourly_rate", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("cycle_anchor", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "regime IN ('regular', 'shift', 'exception', 'special_major_project', 'seasonal')",
            name=op.f("ck_roster_persons_regime"),
        ),
        sa.CheckConstraint(
            "status IN ('active', 'left', 'deceased')", name=op.f("ck_roster_persons_status")
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_roster_persons")),
    )
    op.create_index(
        op.f("ix_roster_persons_agency_code"), "roster_persons", ["agency_code"], unique=False
    )
    op.create_index(
        op.f("ix_roster_persons_supervisor_id"), "roster_persons", ["supervisor_id"], unique=False
    )
    op.create_table(
        "authority_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("regime", sa.String(length=32), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("event_day", sa.Date(), nullable=False),
        sa.Column("threshold_minutes", sa.Integer(), nullable=False),
        sa.Column("actual_minutes", sa.Integer(), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("overtime_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["overtime_id"],
            ["overtime_records.id"],
            name=op.f("fk_authority_reports_overtime_id_overtime_records"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authority_reports")),
        sa.UniqueConstraint(
            "person_id",
            "code",
            "period_start",
            name=op.f("uq_authority_reports_person_id_code_period_start"),
        ),
    )
    op.create_index(
        op.f("ix_authority_reports_agency_code"), "authority_reports", ["agency_code"], unique=False
    )
    op.create_table(
        "comptime_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("overtime_id", sa.Integer(), nullable=True),
        sa.Column("earned_on", sa.Date(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("minutes > 0", name=op.f("ck_comptime_grants_minutes")),
        sa.ForeignKeyConstraint(
            ["overtime_id"],
            ["overtime_records.id"],
            name=op.f("fk_comptime_grants_overtime_id_overtime_records"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comptime_grants")),
        sa.UniqueConstraint("overtime_id", name=op.f("uq_comptime_grants_overtime_id")),
    )
    op.create_index(
        op.f("ix_comptime_grants_expires_on"), "comptime_grants", ["expires_on"], unique=False
    )
    op.create_index(
        "ix_comptime_grants_person_expires",
        "comptime_grants",
        ["person_id", "expires_on"],
        unique=False,
    )
    op.create_table(
        "comptime_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("on_day", sa.Date(), nullable=False),
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("leave_request_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('grant', 'use', 'restore', 'expire', 'settle', 'transfer_out', 'transfer_in')",
            name=op.f("ck_comptime_entries_kind"),
        ),
        sa.CheckConstraint("minutes <> 0", name=op.f("ck_comptime_entries_minutes")),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["comptime_grants.id"],
            name=op.f("fk_comptime_entries_grant_id_comptime_grants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_comptime_entries")),
    )
    op.create_index(
        op.f("ix_comptime_entries_grant_id"), "comptime_entries", ["grant_id"], unique=False
    )
    op.create_index(
        op.f("ix_comptime_entries_leave_request_id"),
        "comptime_entries",
        ["leave_request_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_comptime_entries_person_id"), "comptime_entries", ["person_id"], unique=False
    )
    op.create_table(
        "settlements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("hourly_rate", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=0), nullable=False),
        sa.Column("expired_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('pay', 'commendation')", name=op.f("ck_settlements_outcome")
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["comptime_grants.id"],
            name=op.f("fk_settlements_grant_id_comptime_grants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlements")),
        sa.UniqueConstraint("grant_id", name=op.f("uq_settlements_grant_id")),
    )
    op.create_index(
        op.f("ix_settlements_agency_code"), "settlements", ["agency_code"], unique=False
    )
    op.create_index(op.f("ix_settlements_person_id"), "settlements", ["person_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_settlements_person_id"), table_name="settlements")
    op.drop_index(op.f("ix_settlements_agency_code"), table_name="settlements")
    op.drop_table("settlements")
    op.drop_index(op.f("ix_comptime_entries_person_id"), table_name="comptime_entries")
    op.drop_index(op.f("ix_comptime_entries_leave_request_id"), table_name="comptime_entries")
    op.drop_index(op.f("ix_comptime_entries_grant_id"), table_name="comptime_entries")
    op.drop_table("comptime_entries")
    op.drop_index("ix_comptime_grants_person_expires", table_name="comptime_grants")
    op.drop_index(op.f("ix_comptime_grants_expires_on"), table_name="comptime_grants")
    op.drop_table("comptime_grants")
    op.drop_index(op.f("ix_authority_reports_agency_code"), table_name="authority_reports")
    op.drop_table("authority_reports")
    op.drop_index(op.f("ix_roster_persons_supervisor_id"), table_name="roster_persons")
    op.drop_index(op.f("ix_roster_persons_agency_code"), table_name="roster_persons")
    op.drop_table("roster_persons")
    op.drop_index("ix_overtime_records_person_day", table_name="overtime_records")
    op.drop_index("ix_overtime_records_agency_day", table_name="overtime_records")
    op.drop_table("overtime_records")
    op.drop_index(op.f("ix_notices_recipient_id"), table_name="notices")
    op.drop_table("notices")
    op.drop_table("limit_overrides")
    op.drop_index(op.f("ix_leave_requests_person_id"), table_name="leave_requests")
    op.drop_index(op.f("ix_leave_requests_agency_code"), table_name="leave_requests")
    op.drop_table("leave_requests")
    op.drop_table("job_runs")
    op.drop_index(op.f("ix_consent_windows_person_id"), table_name="consent_windows")
    op.drop_table("consent_windows")
    op.drop_table("comptime_anchors")
    op.drop_index("ix_attendance_records_person_day", table_name="attendance_records")
    op.drop_table("attendance_records")
    op.drop_table("agency_policies")
