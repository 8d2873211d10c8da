"""gateway decisions audit, append-only

Revision ID: f6d0c0000001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f6d0c0000001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "gateway_decisions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=True),
        sa.Column("account_kind", sa.String(length=16), nullable=True),
        sa.Column("source_ip", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("route", sa.String(length=256), nullable=True),
        sa.Column("decision", sa.String(length=8), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_decisions")),
    )
    op.create_index(op.f("ix_gateway_decisions_at"), "gateway_decisions", ["at"])
    op.create_index(op.f("ix_gateway_decisions_subject"), "gateway_decisions", ["subject"])
    op.create_index(op.f("ix_gateway_decisions_decision"), "gateway_decisions", ["decision"])
    # Append-only in the database itself, not only by convention in the code.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION gateway_decisions_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'gateway_decisions is append-only'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER gateway_decisions_no_change BEFORE UPDATE OR DELETE ON "
            "gateway_decisions FOR EACH ROW EXECUTE FUNCTION gateway_decisions_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER gateway_decisions_no_{event.lower()} BEFORE {event} ON "
                "gateway_decisions BEGIN SELECT RAISE(ABORT, 'gateway_decisions is append-only'); "
                "END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER gateway_decisions_no_change ON gateway_decisions")
        op.execute("DROP FUNCTION gateway_decisions_append_only()")
    else:
        op.execute("DROP TRIGGER gateway_decisions_no_update")
        op.execute("DROP TRIGGER gateway_decisions_no_delete")
    op.drop_index(op.f("ix_gateway_decisions_decision"), table_name="gateway_decisions")
    op.drop_index(op.f("ix_gateway_decisions_subject"), table_name="gateway_decisions")
    op.drop_index(op.f("ix_gateway_decisions_at"), table_name="gateway_decisions")
    op.drop_table("gateway_decisions")
