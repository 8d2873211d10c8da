"""catalogue, classes, roster, learning records, policies and imports

Revision ID: b2d0c0000002
Revises: b2d0c0000001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b2d0c0000002"
down_revision: str | None = "b2d0c0000001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agency_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("from_year", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("total_hours", sa.Numeric(precision=7, scale=2), nullable=True),
        sa.Column("ai_minimum_hours", sa.Numeric(precision=7, scale=2), nullable=True),
        sa.Column("ai_target_basic_hours", sa.Numeric(precision=7, scale=2), nullable=True),
        sa.Column("ai_target_advanced_hours", sa.Numeric(precision=7, scale=2), nullable=True),
        sa.Column("topic_minimums", sa.JSON(), nullable=False),
        sa.Column("extra_requirements", sa.JSON(), nullable=False),
        sa.Column("cutoff_month", sa.Integer(), nullable=True),
        sa.Column("cutoff_day", sa.Integer(), nullable=True),
        sa.Column("updated_by", sa.String(length=128), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_overrides")),
        sa.UniqueConstraint(
            "agency_code", "from_year", name=op.f("uq_agency_overrides_agency_code_from_year")
        ),
    )
    op.create_index(op.f("ix_agency_overrides_agency_code"), "agency_overrides", ["agency_code"])
    op.create_table(
        "categories",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_categories")),
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
        "national_policies",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("total_hours", sa.Numeric(precision=7, scale=2), nullable=False),
        sa.Column("ai_minimum_hours", sa.Numeric(precision=7, scale=2), nullable=False),
        sa.Column("ai_target_basic_hours", sa.Numeric(precision=7, scale=2), nullable=False),
        sa.Column("ai_target_advanced_hours", sa.Numeric(precision=7, scale=2), nullable=False),
        sa.Column("cutoff", sa.Date(), nullable=True),
        sa.Column("topic_requirements", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(length=128), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_national_policies")),
    )
    op.create_table(
        "roster",
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("unit_id", sa.String(length=32), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_roster")),
    )
    op.create_index(op.f("ix_roster_agency_code"), "roster", ["agency_code"])
    op.create_table(
        "courses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("category_code", sa.String(length=32), nullable=False),
        sa.Column("topics", sa.String(length=300), nullable=False),
        sa.Column("hours", sa.Numeric(precision=7, scale=2), nullable=True),
        sa.Column("is_digital", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_code"], ["categories.code"], name=op.f("fk_courses_category_code_categories")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_courses")),
        sa.UniqueConstraint("source", "external_id", name=op.f("uq_courses_source_external_id")),
    )
    op.create_index(op.f("ix_courses_category_code"), "courses", ["category_code"])
    op.create_table(
        "import_errors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["import_jobs.id"], name=op.f("fk_import_errors_job_id_import_jobs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_errors")),
    )
    op.create_index(op.f("ix_import_errors_job_id"), "import_errors", ["job_id"])
    op.create_table(
        "learning_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("unit_id", sa.String(length=32), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Numeric(precision=7, scale=2), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("withdrawn", sa.Boolean(), nullable=False),
        sa.Column("digest", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_learning_records_course_id_courses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learning_records")),
        sa.UniqueConstraint(
            "source", "external_id", name=op.f("uq_learning_records_source_external_id")
        ),
    )
    op.create_index("ix_learning_records_agency_year", "learning_records", ["agency_code", "year"])
    op.create_index(op.f("ix_learning_records_course_id"), "learning_records", ["course_id"])
    op.create_index("ix_learning_records_person_year", "learning_records", ["person_id", "year"])
    op.create_table(
        "training_classes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"], ["courses.id"], name=op.f("fk_training_classes_course_id_courses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_classes")),
        sa.UniqueConstraint("code", name=op.f("uq_training_classes_code")),
    )
    op.create_index(op.f("ix_training_classes_agency_code"), "training_classes", ["agency_code"])
    op.create_index(op.f("ix_training_classes_course_id"), "training_classes", ["course_id"])
    op.create_table(
        "class_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("hours", sa.Numeric(precision=7, scale=2), nullable=False),
        sa.Column("topic", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["training_classes.id"],
            name=op.f("fk_class_sessions_class_id_training_classes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_class_sessions")),
        sa.UniqueConstraint("class_id", "number", name=op.f("uq_class_sessions_class_id_number")),
    )
    op.create_index(op.f("ix_class_sessions_class_id"), "class_sessions", ["class_id"])
    op.create_table(
        "learning_record_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["learning_records.id"],
            name=op.f("fk_learning_record_history_record_id_learning_records"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learning_record_history")),
    )
    op.create_index(
        op.f("ix_learning_record_history_record_id"), "learning_record_history", ["record_id"]
    )
    op.create_table(
        "session_lecturers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("lecturer_id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["class_sessions.id"],
            name=op.f("fk_session_lecturers_session_id_class_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_lecturers")),
        sa.UniqueConstraint(
            "session_id", "lecturer_id", name=op.f("uq_session_lecturers_session_id_lecturer_id")
        ),
    )
    op.create_index(op.f("ix_session_lecturers_session_id"), "session_lecturers", ["session_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_session_lecturers_session_id"), table_name="session_lecturers")
    op.drop_table("session_lecturers")
    op.drop_index(
        op.f("ix_learning_record_history_record_id"), table_name="learning_record_history"
    )
    op.drop_table("learning_record_history")
    op.drop_index(op.f("ix_class_sessions_class_id"), table_name="class_sessions")
    op.drop_table("class_sessions")
    op.drop_index(op.f("ix_training_classes_course_id"), table_name="training_classes")
    op.drop_index(op.f("ix_training_classes_agency_code"), table_name="training_classes")
    op.drop_table("training_classes")
    op.drop_index("ix_learning_records_person_year", table_name="learning_records")
    op.drop_index(op.f("ix_learning_records_course_id"), table_name="learning_records")
    op.drop_index("ix_learning_records_agency_year", table_name="learning_records")
    op.drop_table("learning_records")
    op.drop_index(op.f("ix_import_errors_job_id"), table_name="import_errors")
    op.drop_table("import_errors")
    op.drop_index(op.f("ix_courses_category_code"), table_name="courses")
    op.drop_table("courses")
    op.drop_index(op.f("ix_roster_agency_code"), table_name="roster")
    op.drop_table("roster")
    op.drop_table("national_policies")
    op.drop_table("import_jobs")
    op.drop_table("categories")
    op.drop_index(op.f("ix_agency_overrides_agency_code"), table_name="agency_overrides")
    op.drop_table("agency_overrides")
