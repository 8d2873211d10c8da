"""certificate registry: versioned catalogue, certificates with their events, warning lead times, notices, job runs, imports

Revision ID: c3d0c0000002
Revises: c3d0c0000001
Create Date: 2026-12-02

The lead-time row of agency `*` is every agency's default until its HR officer
sets its own: warnings 90, 30 and 7 days before a certificate lapses (the
AI-talent guidance names no lead times; these are the registry's own).
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "c3d0c0000002"
down_revision: str | None = "c3d0c0000001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_LEAD_DAYS = (90, 30, 7)


def upgrade() -> None:
    op.create_table(
        "catalogue_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retired_by", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_entries")),
        sa.UniqueConstraint("code", name=op.f("uq_catalogue_entries_code")),
    )
    op.create_table(
        "import_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("encoding", sa.String(length=16), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("agency_scope", sa.JSON(), server_default=sa.text("'[]'"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("committed_row", sa.Integer(), nullable=False),
        sa.Column("committed_digest", sa.String(length=64), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("inserted", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_jobs")),
        sa.UniqueConstraint(
            "source", "idempotency_key", name=op.f("uq_import_jobs_source_idempotency_key")
        ),
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
    lead_times = op.create_table(
        "warning_lead_times",
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("lead_days", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(length=128), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("agency_code", name=op.f("pk_warning_lead_times")),
    )
    op.create_table(
        "catalogue_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("issuer", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("level", sa.String(length=64), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("validity_months", sa.Integer(), nullable=True),
        sa.Column("validity_note", sa.String(length=300), nullable=True),
        sa.Column("sector", sa.String(length=16), nullable=False),
        sa.Column("recognised_from", sa.Date(), nullable=True),
        sa.Column("recognised_until", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('literacy', 'tool', 'project_planning', 'project_technical')",
            name=op.f("ck_catalogue_versions_kind"),
        ),
        sa.CheckConstraint(
            "sector IN ('government', 'industry')", name=op.f("ck_catalogue_versions_sector")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["catalogue_entries.id"],
            name=op.f("fk_catalogue_versions_entry_id_catalogue_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_versions")),
        sa.UniqueConstraint(
            "entry_id", "version", name=op.f("uq_catalogue_versions_entry_id_version")
        ),
    )
    op.create_index(
        op.f("ix_catalogue_versions_entry_id"), "catalogue_versions", ["entry_id"], unique=False
    )
    op.create_table(
        "import_errors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["import_jobs.id"], name=op.f("fk_import_errors_job_id_import_jobs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_errors")),
    )
    op.create_index(op.f("ix_import_errors_job_id"), "import_errors", ["job_id"], unique=False)
    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("catalogue_version_id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(length=200), nullable=False),
        sa.Column("certificate_number", sa.String(length=100), nullable=False),
        sa.Column("obtained_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("previous_id", sa.Integer(), nullable=True),
        sa.Column("registered_by", sa.String(length=128), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("evidence_sha256", sa.String(length=64), nullable=True),
        sa.Column("evidence_media_type", sa.String(length=32), nullable=True),
        sa.Column("evidence_bytes", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "source IN ('submitted', 'imported')", name=op.f("ck_certificates_source")
        ),
        sa.CheckConstraint(
            "state IN ('submitted', 'verified', 'rejected', 'expired', 'revoked')",
            name=op.f("ck_certificates_state"),
        ),
        sa.ForeignKeyConstraint(
            ["catalogue_version_id"],
            ["catalogue_versions.id"],
            name=op.f("fk_certificates_catalogue_version_id_catalogue_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["previous_id"],
            ["certificates.id"],
            name=op.f("fk_certificates_previous_id_certificates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
    )
    op.create_index(
        op.f("ix_certificates_agency_code"), "certificates", ["agency_code"], unique=False
    )
    op.create_index(
        op.f("ix_certificates_catalogue_version_id"),
        "certificates",
        ["catalogue_version_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_certificates_expires_on"), "certificates", ["expires_on"], unique=False
    )
    op.create_index(op.f("ix_certificates_person_id"), "certificates", ["person_id"], unique=False)
    op.create_index(
        op.f("ix_certificates_previous_id"), "certificates", ["previous_id"], unique=False
    )
    op.create_index(op.f("ix_certificates_state"), "certificates", ["state"], unique=False)
    op.create_index(
        "uq_certificates_issuer_number_live",
        "certificates",
        ["issuer", "certificate_number"],
        unique=True,
        sqlite_where=sa.text("state != 'rejected'"),
        postgresql_where=sa.text("state != 'rejected'"),
    )
    op.create_table(
        "certificate_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificates.id"],
            name=op.f("fk_certificate_events_certificate_id_certificates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_events")),
    )
    op.create_index(
        op.f("ix_certificate_events_certificate_id"),
        "certificate_events",
        ["certificate_id"],
        unique=False,
    )
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.JSON(), nullable=True),
        sa.Column("webhook_delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("email_delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("webhook_attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("email_attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("webhook_error", sa.String(length=100), nullable=True),
        sa.Column("email_error", sa.String(length=100), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificates.id"],
            name=op.f("fk_notices_certificate_id_certificates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notices_dedupe_key")),
    )
    op.create_index(op.f("ix_notices_certificate_id"), "notices", ["certificate_id"], unique=False)
    op.create_index(op.f("ix_notices_recipient_id"), "notices", ["recipient_id"], unique=False)
    op.bulk_insert(
        lead_times,
        [
            {
                "agency_code": "*",
                "lead_days": list(DEFAULT_LEAD_DAYS),
                "updated_by": "migration-c3d0c0000002",
                "updated_at": datetime(2026, 12, 2, tzinfo=UTC),
            }
        ],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_notices_recipient_id"), table_name="notices")
    op.drop_index(op.f("ix_notices_certificate_id"), table_name="notices")
    op.drop_table("notices")
    op.drop_index(op.f("ix_certificate_events_certificate_id"), table_name="certificate_events")
    op.drop_table("certificate_events")
    op.drop_index(
        "uq_certificates_issuer_number_live",
        table_name="certificates",
        sqlite_where=sa.text("state != 'rejected'"),
        postgresql_where=sa.text("state != 'rejected'"),
    )
    op.drop_index(op.f("ix_certificates_state"), table_name="certificates")
    op.drop_index(op.f("ix_certificates_previous_id"), table_name="certificates")
    op.drop_index(op.f("ix_certificates_person_id"), table_name="certificates")
    op.drop_index(op.f("ix_certificates_expires_on"), table_name="certificates")
    op.drop_index(op.f("ix_certificates_catalogue_version_id"), table_name="certificates")
    op.drop_index(op.f("ix_certificates_agency_code"), table_name="certificates")
    op.drop_table("certificates")
    op.drop_index(op.f("ix_import_errors_job_id"), table_name="import_errors")
    op.drop_table("import_errors")
    op.drop_index(op.f("ix_catalogue_versions_entry_id"), table_name="catalogue_versions")
    op.drop_table("catalogue_versions")
    op.drop_table("warning_lead_times")
    op.drop_table("job_runs")
    op.drop_table("import_jobs")
    op.drop_table("catalogue_entries")
