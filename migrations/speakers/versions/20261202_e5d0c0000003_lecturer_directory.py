"""lecturer directory: profiles with consent, categories, engagement records,
the n-gram search index, search audit, the contact relay

Revision ID: e5d0c0000003
Revises: e5d0c0000002
Create Date: 2026-12-02
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from services.speakers.domain.categories import PORTAL_CATEGORIES
from services.speakers.domain.text import fold, index_grams

revision: str = "e5d0c0000003"
down_revision: str | None = "e5d0c0000002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DISCLOSURES = "('searchers', 'training_officers', 'hidden')"
CONSENT_COLUMNS = {
    "email_disclosure": "hidden",
    "phone_disclosure": "hidden",
    "biography_disclosure": "training_officers",
    "engagements_disclosure": "training_officers",
}


def _lecturers(*, new: bool) -> sa.Table:
    """lecturers as e5d0c0000002 made it (`new` False) or as this revision leaves
    it: what SQLite's batch copy starts from, instead of reflecting the table."""
    columns: list[sa.Column[Any]] = [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("expertise", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    ]
    constraints: list[Any] = [
        sa.PrimaryKeyConstraint("id", name="pk_lecturers"),
        sa.Index("ix_lecturers_name", "name"),
    ]
    if new:
        columns += _new_lecturer_columns()
        constraints += _new_lecturer_constraints()
    return sa.Table("lecturers", sa.MetaData(), *columns, *constraints)


def _new_lecturer_columns() -> list[sa.Column[Any]]:
    texts = (
        ("agency_code", 16),
        ("title", 100),
        ("biography", 4000),
        ("email", 254),
        ("phone", 40),
    )
    return [
        *(
            sa.Column(name, sa.String(length=length), nullable=False, server_default="")
            for name, length in texts
        ),
        sa.Column("person_id", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=True),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        *(
            sa.Column(name, sa.String(length=20), nullable=False, server_default=default)
            for name, default in CONSENT_COLUMNS.items()
        ),
        sa.Column("last_engaged_on", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
    ]


def _new_lecturer_constraints() -> list[Any]:
    return [
        sa.Index("ix_lecturers_last_engaged_on", "last_engaged_on"),
        sa.UniqueConstraint("person_id", name="uq_lecturers_person_id"),
        sa.UniqueConstraint("source", "external_id", name="uq_lecturers_source_external_id"),
        *(
            sa.CheckConstraint(f"{name} IN {DISCLOSURES}", name=f"ck_lecturers_{name}")
            for name in CONSENT_COLUMNS
        ),
    ]


def _engagements(*, new: bool) -> sa.Table:
    columns: list[sa.Column[Any]] = [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("class_ref", sa.String(length=80), nullable=False),
        sa.Column("session_number", sa.Integer(), nullable=False),
        sa.Column("lecturer_id", sa.Integer(), nullable=False),
        sa.Column("agency_code", sa.String(length=16), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("hours", sa.Numeric(precision=7, scale=2), nullable=False),
        sa.Column("topic", sa.String(length=300), nullable=False),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    ]
    constraints: list[Any] = [
        sa.ForeignKeyConstraint(
            ["lecturer_id"], ["lecturers.id"], name="fk_engagements_lecturer_id_lecturers"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_engagements"),
        sa.UniqueConstraint(
            "class_ref",
            "session_number",
            "lecturer_id",
            name="uq_engagements_class_ref_session_number_lecturer_id",
        ),
        sa.Index("ix_engagements_agency_code", "agency_code"),
        sa.Index("ix_engagements_class_ref", "class_ref"),
        sa.Index("ix_engagements_lecturer_id", "lecturer_id"),
    ]
    if new:
        columns += _new_engagement_columns()
        constraints.append(
            sa.UniqueConstraint("source", "external_id", name="uq_engagements_source_external_id")
        )
    return sa.Table("engagements", sa.MetaData(), *columns, *constraints)


def _new_engagement_columns() -> list[sa.Column[Any]]:
    texts = (("class_name", 300), ("course_name", 300), ("hosting_agency", 200))
    return [
        *(
            sa.Column(name, sa.String(length=length), nullable=False, server_default="")
            for name, length in texts
        ),
        sa.Column("hidden", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("source", sa.String(length=32), nullable=True),
        sa.Column("external_id", sa.String(length=64), nullable=True),
    ]


def _lecturer_columns() -> None:
    # The server defaults fill the rows already there and stay as harmless
    # defaults (the models give every new row its value).
    with op.batch_alter_table("lecturers", copy_from=_lecturers(new=False)) as batch:
        for column in _new_lecturer_columns():
            batch.add_column(column)
        batch.create_index(op.f("ix_lecturers_last_engaged_on"), ["last_engaged_on"])
        batch.create_unique_constraint(op.f("uq_lecturers_person_id"), ["person_id"])
        batch.create_unique_constraint(
            op.f("uq_lecturers_source_external_id"), ["source", "external_id"]
        )
        for name in CONSENT_COLUMNS:
            batch.create_check_constraint(op.f(f"ck_lecturers_{name}"), f"{name} IN {DISCLOSURES}")


def _engagement_columns() -> None:
    with op.batch_alter_table("engagements", copy_from=_engagements(new=False)) as batch:
        for column in _new_engagement_columns():
            batch.add_column(column)
        batch.create_unique_constraint(
            op.f("uq_engagements_source_external_id"), ["source", "external_id"]
        )
    # Engagements recorded before had their course only as the topic.
    op.execute("UPDATE engagements SET course_name = topic")


def _seed_categories() -> None:
    table = sa.table(
        "course_categories",
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("active", sa.Boolean),
    )
    op.bulk_insert(
        table, [{"code": code, "name": name, "active": True} for code, name in PORTAL_CATEGORIES]
    )


def _index_existing() -> None:
    """Index the lecturers and engagements recorded before the index existed."""
    conn = op.get_bind()
    values: dict[tuple[str, str], int] = {}

    def value_id(field: str, text: str) -> int | None:
        norm = fold(text)
        if not norm:
            return None
        key = (field, norm)
        if key not in values:
            new_id = conn.execute(
                sa.text("INSERT INTO search_values (field, norm) VALUES (:f, :n) RETURNING id"),
                {"f": field, "n": norm},
            ).scalar_one()
            conn.execute(
                sa.text("INSERT INTO search_grams (field, gram, value_id) VALUES (:f, :g, :v)"),
                [{"f": field, "g": g, "v": new_id} for g in sorted(index_grams(norm))],
            )
            values[key] = new_id
        return values[key]

    links: set[tuple[int, int]] = set()
    lecturers = conn.execute(sa.text("SELECT id, name, organisation, expertise FROM lecturers"))
    for lecturer_id, name, organisation, expertise in lecturers.all():
        items = expertise if isinstance(expertise, list) else []
        for field, text in [("name", name), ("agency", organisation)] + [
            ("expertise", str(item)) for item in items
        ]:
            vid = value_id(field, text)
            if vid is not None:
                links.add((vid, lecturer_id))
    engagements = conn.execute(sa.text("SELECT lecturer_id, course_name FROM engagements"))
    for lecturer_id, course_name in engagements.all():
        vid = value_id("course", course_name)
        if vid is not None:
            links.add((vid, lecturer_id))
    if links:
        conn.execute(
            sa.text("INSERT INTO search_links (value_id, lecturer_id) VALUES (:v, :l)"),
            [{"v": v, "l": lecturer} for v, lecturer in sorted(links)],
        )
    conn.execute(
        sa.text(
            "UPDATE lecturers SET last_engaged_on = "
            "(SELECT max(held_on) FROM engagements WHERE engagements.lecturer_id = lecturers.id)"
        )
    )


def upgrade() -> None:
    op.create_table(
        "course_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_categories")),
        sa.UniqueConstraint("code", name=op.f("uq_course_categories_code")),
    )
    op.create_table(
        "search_audits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("searcher", sa.String(length=128), nullable=False),
        sa.Column("searcher_person_id", sa.String(length=64), nullable=True),
        sa.Column("audience", sa.String(length=20), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("result_count", sa.Integer(), nullable=False),
        sa.Column("more", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_audits")),
    )
    op.create_index(op.f("ix_search_audits_searcher"), "search_audits", ["searcher"], unique=False)
    op.create_table(
        "search_values",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=12), nullable=False),
        sa.Column("norm", sa.String(length=300), nullable=False),
        sa.CheckConstraint(
            "field IN ('class', 'course', 'name', 'agency', 'expertise', 'category')",
            name=op.f("ck_search_values_field"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_values")),
        sa.UniqueConstraint("field", "norm", name=op.f("uq_search_values_field_norm")),
    )
    op.create_table(
        "lecturer_categories",
        sa.Column("lecturer_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["course_categories.id"],
            name=op.f("fk_lecturer_categories_category_id_course_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["lecturer_id"],
            ["lecturers.id"],
            name=op.f("fk_lecturer_categories_lecturer_id_lecturers"),
        ),
        sa.PrimaryKeyConstraint("lecturer_id", "category_id", name=op.f("pk_lecturer_categories")),
    )
    op.create_index(
        op.f("ix_lecturer_categories_category_id"),
        "lecturer_categories",
        ["category_id"],
        unique=False,
    )
    op.create_table(
        "lecturer_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lecturer_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=20), nullable=False),
        sa.Column("disclosure", sa.String(length=20), nullable=False),
        sa.Column("chosen_by", sa.String(length=128), nullable=False),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "disclosure IN ('searchers', 'training_officers', 'hidden')",
            name=op.f("ck_lecturer_consents_disclosure"),
        ),
        sa.CheckConstraint(
            "field IN ('email', 'phone', 'biography', 'engagements')",
            name=op.f("ck_lecturer_consents_field"),
        ),
        sa.ForeignKeyConstraint(
            ["lecturer_id"],
            ["lecturers.id"],
            name=op.f("fk_lecturer_consents_lecturer_id_lecturers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lecturer_consents")),
    )
    op.create_index(
        "ix_lecturer_consents_lecturer_id_field",
        "lecturer_consents",
        ["lecturer_id", "field"],
        unique=False,
    )
    op.create_table(
        "lecturer_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lecturer_id", sa.Integer(), nullable=False),
        sa.Column("sender", sa.String(length=128), nullable=False),
        sa.Column("sender_person_id", sa.String(length=64), nullable=True),
        sa.Column("sender_agency_code", sa.String(length=16), nullable=True),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.String(length=4000), nullable=False),
        sa.Column("reply_to", sa.String(length=254), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lecturer_id"],
            ["lecturers.id"],
            name=op.f("fk_lecturer_messages_lecturer_id_lecturers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lecturer_messages")),
    )
    op.create_index(
        op.f("ix_lecturer_messages_lecturer_id"), "lecturer_messages", ["lecturer_id"], unique=False
    )
    op.create_index(
        "ix_lecturer_messages_sender_sent_at",
        "lecturer_messages",
        ["sender", "sent_at"],
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
        sa.Column("lecturer_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lecturer_id"], ["lecturers.id"], name=op.f("fk_notices_lecturer_id_lecturers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notices_dedupe_key")),
    )
    op.create_index(op.f("ix_notices_lecturer_id"), "notices", ["lecturer_id"], unique=False)
    op.create_index(op.f("ix_notices_recipient_id"), "notices", ["recipient_id"], unique=False)
    op.create_table(
        "search_grams",
        sa.Column("field", sa.String(length=12), nullable=False),
        sa.Column("gram", sa.String(length=2), nullable=False),
        sa.Column("value_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["value_id"], ["search_values.id"], name=op.f("fk_search_grams_value_id_search_values")
        ),
        sa.PrimaryKeyConstraint("field", "gram", "value_id", name=op.f("pk_search_grams")),
    )
    op.create_index(op.f("ix_search_grams_value_id"), "search_grams", ["value_id"], unique=False)
    op.create_table(
        "search_links",
        sa.Column("value_id", sa.Integer(), nullable=False),
        sa.Column("lecturer_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["lecturer_id"], ["lecturers.id"], name=op.f("fk_search_links_lecturer_id_lecturers")
        ),
        sa.ForeignKeyConstraint(
            ["value_id"], ["search_values.id"], name=op.f("fk_search_links_value_id_search_values")
        ),
        sa.PrimaryKeyConstraint("value_id", "lecturer_id", name=op.f("pk_search_links")),
    )
    op.create_index(
        op.f("ix_search_links_lecturer_id"), "search_links", ["lecturer_id"], unique=False
    )
    _lecturer_columns()
    _engagement_columns()
    _seed_categories()
    _index_existing()


def downgrade() -> None:
    with op.batch_alter_table("engagements", copy_from=_engagements(new=True)) as batch:
        batch.drop_constraint(op.f("uq_engagements_source_external_id"), type_="unique")
        for column in reversed(_new_engagement_columns()):
            batch.drop_column(column.name)
    with op.batch_alter_table("lecturers", copy_from=_lecturers(new=True)) as batch:
        for name in CONSENT_COLUMNS:
            batch.drop_constraint(op.f(f"ck_lecturers_{name}"), type_="check")
        batch.drop_constraint(op.f("uq_lecturers_source_external_id"), type_="unique")
        batch.drop_constraint(op.f("uq_lecturers_person_id"), type_="unique")
        batch.drop_index(op.f("ix_lecturers_last_engaged_on"))
        for column in reversed(_new_lecturer_columns()):
            batch.drop_column(column.name)
    op.drop_index(op.f("ix_search_links_lecturer_id"), table_name="search_links")
    op.drop_table("search_links")
    op.drop_index(op.f("ix_search_grams_value_id"), table_name="search_grams")
    op.drop_table("search_grams")
    op.drop_index(op.f("ix_notices_recipient_id"), table_name="notices")
    op.drop_index(op.f("ix_notices_lecturer_id"), table_name="notices")
    op.drop_table("notices")
    op.drop_index("ix_lecturer_messages_sender_sent_at", table_name="lecturer_messages")
    op.drop_index(op.f("ix_lecturer_messages_lecturer_id"), table_name="lecturer_messages")
    op.drop_table("lecturer_messages")
    op.drop_index("ix_lecturer_consents_lecturer_id_field", table_name="lecturer_consents")
    op.drop_table("lecturer_consents")
    op.drop_index(op.f("ix_lecturer_categories_category_id"), table_name="lecturer_categories")
    op.drop_table("lecturer_categories")
    op.drop_table("search_values")
    op.drop_index(op.f("ix_search_audits_searcher"), table_name="search_audits")
    op.drop_table("search_audits")
    op.drop_table("course_categories")
