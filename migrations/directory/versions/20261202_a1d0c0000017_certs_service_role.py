"""the certs service's jobs get their role: every person's AI hours from training

Revision ID: a1d0c0000017
Revises: a1d0c0000016
Create Date: 2026-12-02

Role `service_certs` (kind service) with `training:ai_hours:read`, for the
certs service's nightly pull of AI hours (`GET /api/training/ai-hours`) as its
own account `svc.certs`. An existing `svc.certs` service account gets the
role: it exists for exactly this kind of job, and training serves the feed to
that account alone whatever else holds the permission. Downgrade takes the
role from every account and drops it.

The rows are written out here, not read from services/directory/roles.py, so
that this revision keeps meaning the same change however the catalogue moves on.
"""

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = "a1d0c0000017"
down_revision: str | None = "a1d0c0000016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "service_certs"
DESCRIPTION = "The certs service's jobs: every person's AI hours from training"
PERMISSIONS = ("training:ai_hours:read",)
ACCOUNT = "svc.certs"
TAIPEI = ZoneInfo("Asia/Taipei")

roles = sa.table(
    "roles",
    sa.column("name", sa.String),
    sa.column("account_kind", sa.String),
    sa.column("description", sa.String),
)
role_permissions = sa.table(
    "role_permissions", sa.column("role", sa.String), sa.column("permission", sa.String)
)
accounts = sa.table("accounts", sa.column("name", sa.String), sa.column("kind", sa.String))
account_roles = sa.table(
    "account_roles",
    sa.column("account", sa.String),
    sa.column("role", sa.String),
    sa.column("granted_on", sa.Date),
)


def upgrade() -> None:
    conn = op.get_bind()
    # a1d0c0000004 seeds the catalogue as it stands when it runs: a fresh
    # database may hold the role already.
    if conn.execute(sa.select(roles.c.name).where(roles.c.name == ROLE)).first() is None:
        conn.execute(
            sa.insert(roles).values(name=ROLE, account_kind="service", description=DESCRIPTION)
        )
    for permission in PERMISSIONS:
        held = conn.execute(
            sa.select(role_permissions.c.role).where(
                role_permissions.c.role == ROLE, role_permissions.c.permission == permission
            )
        ).first()
        if held is None:
            conn.execute(sa.insert(role_permissions).values(role=ROLE, permission=permission))
    account = conn.execute(
        sa.select(accounts.c.name).where(accounts.c.name == ACCOUNT, accounts.c.kind == "service")
    ).first()
    granted = conn.execute(
        sa.select(account_roles.c.account).where(
            account_roles.c.account == ACCOUNT, account_roles.c.role == ROLE
        )
    ).first()
    if account is not None and granted is None:
        conn.execute(
            sa.insert(account_roles).values(
                account=ACCOUNT, role=ROLE, granted_on=datetime.now(TAIPEI).date()
            )
        )


def downgrade() -> None:
    conn = op.get_bind()
    # Accounts holding the role lose it (their record of its use goes with it,
    # ON DELETE CASCADE).
    conn.execute(sa.delete(account_roles).where(account_roles.c.role == ROLE))
    conn.execute(sa.delete(role_permissions).where(role_permissions.c.role == ROLE))
    conn.execute(sa.delete(roles).where(roles.c.name == ROLE))
